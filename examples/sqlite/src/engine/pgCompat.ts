/**
 * Recognizes the PostgreSQL statements that SQLite lacks or spells
 * differently (SET/SHOW/RESET/DISCARD, BEGIN/START TRANSACTION variants,
 * COMMIT/END/ABORT, savepoints, TRUNCATE, VACUUM) so the engine can answer
 * them itself or translate them. Everything else goes to SQLite unchanged.
 */
import { CHANGE_LOG_DDL, truncateWithLog } from "../replication/changeLog.js"
import { lex, type Token } from "./sqlText.js"

export type Plan =
  | { readonly _tag: "Set"; readonly name: string; readonly value: string | undefined; readonly local: boolean }
  /** SET TRANSACTION …, SET SESSION CHARACTERISTICS …: accepted, nothing to do (SQLite is serializable). */
  | { readonly _tag: "SetIgnored" }
  | { readonly _tag: "Show"; readonly name: string | "ALL" }
  | { readonly _tag: "Reset"; readonly name: string | "ALL" }
  | { readonly _tag: "Discard"; readonly what: string }
  | { readonly _tag: "Begin"; readonly readOnly: boolean }
  | { readonly _tag: "Commit" }
  | { readonly _tag: "Rollback" }
  | { readonly _tag: "Savepoint"; readonly sql: string }
  | { readonly _tag: "Release"; readonly sql: string }
  | { readonly _tag: "RollbackTo"; readonly sql: string }
  | { readonly _tag: "Truncate"; readonly tables: ReadonlyArray<string> }
  | { readonly _tag: "Vacuum" }
  | { readonly _tag: "Sql"; readonly sql: string; readonly verb: Verb }

/** What a passed-through statement does, for its command tag. */
export type Verb =
  | { readonly _tag: "Select" }
  | { readonly _tag: "Insert" }
  | { readonly _tag: "Update" }
  | { readonly _tag: "Delete" }
  /** Any other statement: its tag is fixed ("CREATE TABLE", "DROP INDEX", "ANALYZE"…). */
  | { readonly _tag: "Other"; readonly tag: string }

const wordsOf = (tokens: ReadonlyArray<Token>): ReadonlyArray<string> =>
  tokens.filter((t) => t.kind === "word").map((t) => t.upper)

/** Unquotes a SET value: 'it''s' → it's, "x" → x, bare words and numbers as written. */
const unquote = (raw: string): string => {
  const v = raw.trim()
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'")
  if (v.length >= 2 && /^[eE]'/.test(v) && v.endsWith("'")) return v.slice(2, -1).replace(/''/g, "'").replace(/\\(.)/g, "$1")
  if (v.length >= 2 && v.startsWith("\"") && v.endsWith("\"")) return v.slice(1, -1).replace(/""/g, "\"")
  return v
}

/** Splits a SET value list on top-level commas and unquotes each item. */
const setValue = (raw: string): string | undefined => {
  if (/^default$/i.test(raw.trim())) return undefined
  const items: Array<string> = []
  let start = 0
  let depth = 0
  for (const t of lex(raw)) {
    if (t.kind !== "other") continue
    const c = raw[t.start]
    if (c === "(") depth++
    else if (c === ")") depth--
    else if (c === "," && depth === 0) {
      items.push(unquote(raw.slice(start, t.start)))
      start = t.end
    }
  }
  items.push(unquote(raw.slice(start)))
  return items.join(", ")
}

const identifier = (raw: string): string => {
  const v = raw.trim()
  return v.startsWith("\"") && v.endsWith("\"") ? v.slice(1, -1).replace(/""/g, "\"") : v.toLowerCase()
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

const SET = /^SET\s+(?:(SESSION|LOCAL)\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w.$]*)\s*(?:=|\s+TO\s+|\s)\s*([\s\S]*)$/i
const SET_TIME_ZONE = /^SET\s+(?:(SESSION|LOCAL)\s+)?TIME\s+ZONE\s+([\s\S]+)$/i
const SHOW = /^SHOW\s+("(?:[^"]|"")+"|[A-Za-z_][\w.$]*)$/i
const RESET = /^RESET\s+("(?:[^"]|"")+"|[A-Za-z_][\w.$]*)$/i
const DISCARD = /^DISCARD\s+(ALL|PLANS|SEQUENCES|TEMP|TEMPORARY)$/i
const BEGIN = /^(?:BEGIN|START\s+TRANSACTION)(?:\s+(?:WORK|TRANSACTION))?\b([\s\S]*)$/i
const TX_MODES = /^(\s*(ISOLATION\s+LEVEL\s+(SERIALIZABLE|REPEATABLE\s+READ|READ\s+COMMITTED|READ\s+UNCOMMITTED)|READ\s+WRITE|READ\s+ONLY|(NOT\s+)?DEFERRABLE)\s*,?)*\s*$/i
const COMMIT = /^(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?(?:\s+AND\s+NO\s+CHAIN)?$/i
const ROLLBACK = /^(?:ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?(?:\s+AND\s+NO\s+CHAIN)?$/i
const ROLLBACK_TO = /^ROLLBACK\s+(?:(?:WORK|TRANSACTION)\s+)?TO\s+(?:SAVEPOINT\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*)$/i
const SAVEPOINT = /^SAVEPOINT\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)$/i
const RELEASE = /^RELEASE\s+(?:SAVEPOINT\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*)$/i
const TRUNCATE = /^TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?([\s\S]+?)(?:\s+(?:RESTART|CONTINUE)\s+IDENTITY)?(?:\s+(?:CASCADE|RESTRICT))?$/i

/** Statement text without leading/trailing comments and whitespace, for the regexes above. */
const bare = (sql: string, tokens: ReadonlyArray<Token>): string =>
  tokens.length === 0 ? "" : sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end)

/** Plans one statement (already split from its query string). */
export const planStatement = (sql: string): Plan => {
  const tokens = lex(sql)
  const words = wordsOf(tokens)
  const text = bare(sql, tokens)
  let m: RegExpExecArray | null
  switch (words[0]) {
    case "SET": {
      if (words[1] === "TRANSACTION" || (words[1] === "SESSION" && words[2] === "CHARACTERISTICS")) {
        return { _tag: "SetIgnored" }
      }
      if ((m = SET_TIME_ZONE.exec(text))) {
        const v = m[2]!.trim()
        return { _tag: "Set", name: "TimeZone", value: /^(local|default)$/i.test(v) ? undefined : unquote(v), local: /local/i.test(m[1] ?? "") }
      }
      if ((m = SET.exec(text))) {
        return { _tag: "Set", name: identifier(m[2]!), value: setValue(m[3]!), local: /local/i.test(m[1] ?? "") }
      }
      break
    }
    case "SHOW":
      if (words[1] === "ALL" && words.length === 2) return { _tag: "Show", name: "ALL" }
      if (words[1] === "TIME" && words[2] === "ZONE") return { _tag: "Show", name: "timezone" }
      if (words[1] === "TRANSACTION" && words[2] === "ISOLATION") return { _tag: "Show", name: "transaction_isolation" }
      if ((m = SHOW.exec(text))) return { _tag: "Show", name: identifier(m[1]!) }
      break
    case "RESET":
      if (words[1] === "ALL" && words.length === 2) return { _tag: "Reset", name: "ALL" }
      if ((m = RESET.exec(text))) return { _tag: "Reset", name: identifier(m[1]!) }
      break
    case "DISCARD":
      if ((m = DISCARD.exec(text))) return { _tag: "Discard", what: m[1]!.toUpperCase() }
      break
    case "BEGIN":
    case "START":
      if ((m = BEGIN.exec(text)) && TX_MODES.test(m[1]!)) {
        return { _tag: "Begin", readOnly: /READ\s+ONLY/i.test(m[1]!) }
      }
      // SQLite's own BEGIN DEFERRED/IMMEDIATE/EXCLUSIVE
      if (words[0] === "BEGIN" && ["DEFERRED", "IMMEDIATE", "EXCLUSIVE"].includes(words[1] ?? "") && words.length <= 3) {
        return { _tag: "Begin", readOnly: false }
      }
      break
    case "COMMIT":
    case "END":
      if (COMMIT.test(text)) return { _tag: "Commit" }
      break
    case "ROLLBACK":
    case "ABORT":
      if (ROLLBACK.test(text)) return { _tag: "Rollback" }
      if ((m = ROLLBACK_TO.exec(text))) return { _tag: "RollbackTo", sql: `ROLLBACK TO SAVEPOINT ${quoteIdent(identifier(m[1]!))}` }
      break
    case "SAVEPOINT":
      if ((m = SAVEPOINT.exec(text))) return { _tag: "Savepoint", sql: `SAVEPOINT ${quoteIdent(identifier(m[1]!))}` }
      break
    case "RELEASE":
      if ((m = RELEASE.exec(text))) return { _tag: "Release", sql: `RELEASE SAVEPOINT ${quoteIdent(identifier(m[1]!))}` }
      break
    case "TRUNCATE":
      if ((m = TRUNCATE.exec(text))) {
        const tables = m[1]!.split(",").map((t) => t.trim()).filter((t) => t.length > 0)
        if (tables.length > 0) return { _tag: "Truncate", tables }
      }
      break
    case "VACUUM":
      return { _tag: "Vacuum" }
  }
  return { _tag: "Sql", sql: text, verb: verbOf(tokens) }
}

const otherTag = (words: ReadonlyArray<string>): string => {
  const [first, second, third] = words
  if (first === "CREATE" || first === "DROP" || first === "ALTER") {
    // CREATE UNIQUE INDEX, CREATE TEMP TABLE, CREATE VIRTUAL TABLE → CREATE INDEX / CREATE TABLE
    const object = ["UNIQUE", "TEMP", "TEMPORARY", "VIRTUAL", "OR"].includes(second ?? "")
      ? second === "OR" ? words[3] : third
      : second
    return object === undefined ? first : `${first} ${object}`
  }
  return first ?? ""
}

/** The statement's verb, looking past a leading `WITH … AS (…)` to the statement it prefixes. */
const verbOf = (tokens: ReadonlyArray<Token>): Verb => {
  const top = tokens.filter((t) => t.kind === "word" && t.depth === 0).map((t) => t.upper)
  const main = top[0] === "WITH" ? top.find((w) => ["SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "VALUES"].includes(w)) : top[0]
  switch (main) {
    case "SELECT":
    case "VALUES":
    case "PRAGMA":
    case "EXPLAIN":
      return { _tag: "Select" }
    case "INSERT":
    case "REPLACE":
      return { _tag: "Insert" }
    case "UPDATE":
      return { _tag: "Update" }
    case "DELETE":
      return { _tag: "Delete" }
    default:
      return { _tag: "Other", tag: otherTag(top) }
  }
}

/** TRUNCATE as SQLite statements; with change capture, logged as one truncate per table (src/replication). */
export const truncateStatements = (tables: ReadonlyArray<string>, changeCapture = false): ReadonlyArray<string> =>
  changeCapture ? [CHANGE_LOG_DDL[0]!, ...tables.flatMap(truncateWithLog)] : tables.map((t) => `DELETE FROM ${t}`)
