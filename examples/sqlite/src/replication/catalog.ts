/**
 * Publications and the triggers that follow them: which tables are logged
 * (every table of some publication, or every table once a publication is FOR
 * ALL TABLES), read and changed through an engine session so publication DDL
 * is transactional like PostgreSQL's.
 */
import { Effect } from "effect"
import { PgType, typeOfDeclared } from "../engine/columnTypes.js"
import type { SqliteSession } from "../engine/SqliteSession.js"
import { type SqlError, sqlError } from "../engine/SqlError.js"
import { dropTriggerStatements, isInternalTable, sqlString, triggerStatements } from "./changeLog.js"
import { ALL_OPS, type PublicationCommand, type PublishedOp } from "./publicationCommand.js"

export interface Publication {
  readonly name: string
  readonly allTables: boolean
  /** Tables by their name in sqlite_master. */
  readonly tables: ReadonlyArray<string>
  readonly publish: ReadonlyArray<PublishedOp>
}

export interface TableColumn {
  readonly name: string
  readonly typeOid: number
  readonly declared: string | null
  readonly isKey: boolean
}

/** Rows of a one-statement query (values normalized by the engine: INTEGER → bigint, TEXT → string). */
export const rows = (sqlite: SqliteSession, sql: string, params: ReadonlyArray<unknown> = []) =>
  Effect.map(sqlite.query(sql, params), (results) => results[0]?.rows ?? [])

export const userTables = (sqlite: SqliteSession): Effect.Effect<ReadonlyArray<string>, SqlError> =>
  Effect.map(rows(sqlite, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"), (r) =>
    r.map((row) => String(row[0])).filter((name) => !isInternalTable(name))
  )

/** The table's name as SQLite knows it (names compare without case), or undefined. */
export const resolveTable = (sqlite: SqliteSession, name: string): Effect.Effect<string | undefined, SqlError> =>
  Effect.map(rows(sqlite, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1 COLLATE NOCASE", [name]), (r) =>
    r.length === 0 || isInternalTable(String(r[0]![0])) ? undefined : String(r[0]![0])
  )

export const tableColumns = (sqlite: SqliteSession, table: string): Effect.Effect<ReadonlyArray<TableColumn>, SqlError> =>
  Effect.map(rows(sqlite, "SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid", [table]), (r) =>
    r.map((row) => {
      const declared = row[1] === null || row[1] === "" ? null : String(row[1])
      return { name: String(row[0]), declared, typeOid: typeOfDeclared(declared) ?? PgType.text, isKey: Number(row[2]) > 0 }
    })
  )

export const loadPublications = (sqlite: SqliteSession): Effect.Effect<ReadonlyArray<Publication>, SqlError> =>
  Effect.gen(function* () {
    const pubs = yield* rows(sqlite, "SELECT name, all_tables, publish FROM _pgwire_publications ORDER BY name")
    const members = yield* rows(
      sqlite,
      "SELECT p.pubname, m.name FROM _pgwire_publication_tables p JOIN sqlite_master m ON m.type = 'table' AND m.name = p.relname COLLATE NOCASE"
    )
    return pubs.map((p) => ({
      name: String(p[0]),
      allTables: Number(p[1]) !== 0,
      tables: members.filter((m) => m[0] === p[0]).map((m) => String(m[1])),
      publish: String(p[2]).split(",").filter((s) => s !== "") as ReadonlyArray<PublishedOp>
    }))
  })

/** The statements that make the logged tables exactly those `publications` cover (and give each an OID). */
export const triggerSync = (
  sqlite: SqliteSession,
  publications: ReadonlyArray<Publication>
): Effect.Effect<ReadonlyArray<string>, SqlError> =>
  Effect.gen(function* () {
    const tables = yield* userTables(sqlite)
    const all = publications.some((p) => p.allTables)
    const wanted = new Set(all ? tables : publications.flatMap((p) => p.tables))
    const statements: Array<string> = []
    // Triggers of tables no longer published, or left behind by a rename, go.
    const existing = yield* rows(sqlite, "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_pgwire\\_%' ESCAPE '\\'")
    for (const [name, table] of existing) {
      const t = String(table)
      const own = ["insert", "update", "delete"].some((op) => String(name) === `_pgwire_${t}_${op}`)
      if (!own || !wanted.has(t)) statements.push(`DROP TRIGGER IF EXISTS "${String(name).replaceAll('"', '""')}"`)
    }
    for (const table of tables) {
      if (!wanted.has(table)) {
        statements.push(...dropTriggerStatements(table))
        continue
      }
      const columns = yield* tableColumns(sqlite, table)
      statements.push(...triggerStatements(table, columns.map((c) => c.name)))
      statements.push(
        `INSERT OR IGNORE INTO _pgwire_relations (relname, oid) VALUES (${sqlString(table)}, (SELECT coalesce(max(oid), 16383) + 1 FROM _pgwire_relations))`
      )
    }
    return statements
  })

/** Runs statements as one atomic unit (an implicit transaction block, or inside the session's own transaction). */
export const runAtomically = (sqlite: SqliteSession, statements: ReadonlyArray<string>): Effect.Effect<void, SqlError> =>
  statements.length === 0 ? Effect.void : Effect.asVoid(sqlite.query(statements.join(";\n")))

const publicationExists = (pubs: ReadonlyArray<Publication>, name: string) => pubs.some((p) => p.name === name)

/**
 * Runs a publication command: the catalog rows and the trigger changes
 * together. Answers PostgreSQL's errors (42710, 42704, 42P01) and its notice
 * for DROP ... IF EXISTS of a missing publication.
 */
export const runPublicationCommand = (
  sqlite: SqliteSession,
  command: PublicationCommand
): Effect.Effect<{ readonly tag: string; readonly notices: ReadonlyArray<string> }, SqlError> =>
  Effect.gen(function* () {
    const pubs = yield* loadPublications(sqlite)
    const resolveAll = (names: ReadonlyArray<string>) =>
      Effect.forEach(names, (n) =>
        Effect.flatMap(resolveTable(sqlite, n), (t) => (t === undefined ? Effect.fail(sqlError("42P01", `relation "${n}" does not exist`)) : Effect.succeed(t)))
      )
    const find = (name: string) => {
      const p = pubs.find((x) => x.name === name)
      return p === undefined ? Effect.fail(sqlError("42704", `publication "${name}" does not exist`)) : Effect.succeed(p)
    }
    let next: ReadonlyArray<Publication> = pubs
    const notices: Array<string> = []
    const catalog: Array<string> = []
    let tag: string
    switch (command._tag) {
      case "Create": {
        if (publicationExists(pubs, command.name)) return yield* Effect.fail(sqlError("42710", `publication "${command.name}" already exists`))
        const tables = command.tables === undefined ? [] : yield* resolveAll(command.tables)
        const pub: Publication = { name: command.name, allTables: command.tables === undefined, tables, publish: command.publish }
        next = [...pubs, pub]
        catalog.push(
          `INSERT INTO _pgwire_publications (name, all_tables, publish) VALUES (${sqlString(pub.name)}, ${pub.allTables ? 1 : 0}, ${sqlString(pub.publish.join(","))})`,
          ...tables.map((t) => `INSERT OR IGNORE INTO _pgwire_publication_tables (pubname, relname) VALUES (${sqlString(pub.name)}, ${sqlString(t)})`)
        )
        tag = "CREATE PUBLICATION"
        break
      }
      case "Drop": {
        for (const name of command.names) {
          if (!publicationExists(pubs, name)) {
            if (!command.ifExists) return yield* Effect.fail(sqlError("42704", `publication "${name}" does not exist`))
            notices.push(`publication "${name}" does not exist, skipping`)
            continue
          }
          catalog.push(
            `DELETE FROM _pgwire_publications WHERE name = ${sqlString(name)}`,
            `DELETE FROM _pgwire_publication_tables WHERE pubname = ${sqlString(name)}`
          )
        }
        next = pubs.filter((p) => !command.names.includes(p.name))
        tag = "DROP PUBLICATION"
        break
      }
      case "AlterTables": {
        const pub = yield* find(command.name)
        if (pub.allTables) {
          return yield* Effect.fail(sqlError("55000", `publication "${pub.name}" is defined as FOR ALL TABLES`, { detail: "Tables cannot be added to or dropped from FOR ALL TABLES publications." }))
        }
        const tables = yield* resolveAll(command.tables)
        const lower = (t: string) => t.toLowerCase()
        let members: ReadonlyArray<string>
        if (command.action === "add") {
          const dup = tables.find((t) => pub.tables.some((m) => lower(m) === lower(t)))
          if (dup !== undefined) return yield* Effect.fail(sqlError("42710", `relation "${dup}" is already member of publication "${pub.name}"`))
          members = [...pub.tables, ...tables]
        } else if (command.action === "drop") {
          const missing = tables.find((t) => !pub.tables.some((m) => lower(m) === lower(t)))
          if (missing !== undefined) return yield* Effect.fail(sqlError("42704", `relation "${missing}" is not part of the publication`))
          members = pub.tables.filter((m) => !tables.some((t) => lower(t) === lower(m)))
        } else {
          members = tables
        }
        next = pubs.map((p) => (p.name === pub.name ? { ...p, tables: members } : p))
        catalog.push(
          `DELETE FROM _pgwire_publication_tables WHERE pubname = ${sqlString(pub.name)}`,
          ...members.map((t) => `INSERT OR IGNORE INTO _pgwire_publication_tables (pubname, relname) VALUES (${sqlString(pub.name)}, ${sqlString(t)})`)
        )
        tag = "ALTER PUBLICATION"
        break
      }
      case "AlterPublish": {
        const pub = yield* find(command.name)
        catalog.push(`UPDATE _pgwire_publications SET publish = ${sqlString(command.publish.join(","))} WHERE name = ${sqlString(pub.name)}`)
        tag = "ALTER PUBLICATION"
        break
      }
    }
    const triggers = yield* triggerSync(sqlite, next)
    yield* runAtomically(sqlite, [...catalog, ...triggers])
    return { tag, notices }
  })

/** Operations each relation publishes for a set of publication names (unknown names: 42704, as PostgreSQL's pgoutput). */
export const publishedOps = (
  publications: ReadonlyArray<Publication>,
  names: ReadonlyArray<string>
): { readonly ops: (table: string) => ReadonlySet<PublishedOp>; readonly missing: string | undefined } => {
  const chosen = names.map((n) => publications.find((p) => p.name === n))
  const missing = names.find((_, i) => chosen[i] === undefined)
  const pubs = chosen.filter((p): p is Publication => p !== undefined)
  const cache = new Map<string, ReadonlySet<PublishedOp>>()
  return {
    missing,
    ops: (table) => {
      const key = table.toLowerCase()
      let set = cache.get(key)
      if (set === undefined) {
        set = new Set(pubs.filter((p) => p.allTables || p.tables.some((t) => t.toLowerCase() === key)).flatMap((p) => p.publish))
        cache.set(key, set)
      }
      return set
    }
  }
}

export { ALL_OPS }
