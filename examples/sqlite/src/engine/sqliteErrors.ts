import { SqlError } from "./SqlError.js"

/**
 * Maps a SQLite failure (the `code` better-sqlite3 puts on `SqliteError`, e.g.
 * `SQLITE_CONSTRAINT_UNIQUE`, plus its message) to the SQLSTATE PostgreSQL
 * would use for the same situation, so clients branch on codes they know.
 */
export const fromSqlite = (code: string | undefined, message: string): SqlError => {
  const c = code ?? ""
  switch (c) {
    case "SQLITE_CONSTRAINT_UNIQUE":
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
      return constraint("23505", "duplicate key value violates unique constraint", message)
    case "SQLITE_CONSTRAINT_NOTNULL":
      return constraint("23502", "null value violates not-null constraint", message)
    case "SQLITE_CONSTRAINT_CHECK":
      return constraint("23514", "new row violates check constraint", message)
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return constraint("23503", "foreign key constraint violated", message)
  }
  if (c.startsWith("SQLITE_CONSTRAINT")) return constraint("23000", "integrity constraint violated", message)
  if (c === "SQLITE_BUSY_SNAPSHOT") {
    return new SqlError({ code: "40001", message: "could not serialize access due to concurrent update", detail: message })
  }
  if (c.startsWith("SQLITE_BUSY") || c.startsWith("SQLITE_LOCKED")) {
    return new SqlError({ code: "55P03", message: "could not obtain lock: database is locked", detail: message })
  }
  if (c.startsWith("SQLITE_READONLY")) return new SqlError({ code: "25006", message })
  if (c === "SQLITE_TOOBIG") return new SqlError({ code: "54000", message })
  if (c === "SQLITE_FULL") return new SqlError({ code: "53100", message })
  if (c === "SQLITE_NOMEM") return new SqlError({ code: "53200", message })
  if (c.startsWith("SQLITE_IOERR")) return new SqlError({ code: "58030", message })
  if (c.startsWith("SQLITE_CORRUPT") || c === "SQLITE_NOTADB") return new SqlError({ code: "XX001", message })
  if (c.startsWith("SQLITE_CANTOPEN")) return new SqlError({ code: "58000", message })
  if (c === "SQLITE_MISMATCH") return new SqlError({ code: "42804", message })
  if (c === "SQLITE_INTERRUPT") return new SqlError({ code: "57014", message: "canceling statement due to user request" })
  return fromMessage(message)
}

const messagePatterns: ReadonlyArray<readonly [RegExp, string]> = [
  [/syntax error|unrecognized token|incomplete input/, "42601"],
  [/^no such table/, "42P01"],
  [/^no such column/, "42703"],
  [/^no such function|wrong number of arguments to function/, "42883"],
  [/^(table|index|view|trigger) .* already exists/, "42P07"],
  [/^ambiguous column name/, "42702"],
  [/misuse of (aggregate|window) function/, "42803"],
  [/^(datatype|type) mismatch/, "42804"],
  [/has \d+ columns but \d+ values were supplied|\d+ values for \d+ columns/, "42601"],
  [/^no such savepoint/, "3B001"],
  [/^cannot start a transaction within a transaction/, "25001"],
  [/^cannot (commit|rollback) - no transaction is active/, "25P01"],
  [/^cannot VACUUM from within a transaction/, "25001"],
  [/integer overflow/, "22003"],
  [/^too many (terms|columns|SQL variables)|string or blob too big/, "54000"],
  [/^no such (index|view|trigger)/, "42704"],
  [/^(near|parser stack overflow)/, "42601"],
  [/contains more than one statement/, "42601"]
]

/** Errors SQLite reports as plain `SQLITE_ERROR`: only the message says what happened. */
export const fromMessage = (message: string): SqlError => {
  for (const [pattern, code] of messagePatterns) {
    if (pattern.test(message)) return new SqlError({ code, message })
  }
  return new SqlError({ code: "XX000", message })
}

/** better-sqlite3's argument checks (RangeError/TypeError) are about the bound parameters. */
export const fromBindFailure = (message: string): SqlError =>
  /too (few|many) parameter values|missing named parameter/i.test(message)
    ? new SqlError({ code: "08P01", message: `bind message parameter count mismatch: ${message}` })
    : new SqlError({ code: "22023", message: `invalid parameter value: ${message}` })

// "UNIQUE constraint failed: t.name" → table t, column name, PostgreSQL's wording in front.
const constraint = (code: string, pgMessage: string, sqliteMessage: string): SqlError => {
  const target = /failed: ([^,\s]+)\.([^,\s]+)/.exec(sqliteMessage)
  const check = /^CHECK constraint failed: (.*)$/.exec(sqliteMessage)
  return new SqlError({
    code,
    message: `${pgMessage}`,
    detail: sqliteMessage,
    ...(target ? { table: target[1]!, column: target[2]! } : {}),
    ...(check ? { constraint: check[1]! } : {})
  })
}
