/**
 * The query handler's hooks for change capture: publication DDL (and the
 * `set_config` call replication clients make) answered here, triggers kept in
 * step with new and altered tables, and replication streams woken after a
 * statement that may have committed changes.
 */
import { Context, Effect, type Scope, Stream } from "effect"
import { PgType } from "../engine/columnTypes.js"
import type { SqliteEngine } from "../engine/SqliteEngine.js"
import type { SqliteSession } from "../engine/SqliteSession.js"
import { type SqlError, sqlError } from "../engine/SqlError.js"
import type { StatementResult } from "../engine/StatementResult.js"
import { loadPublications, runAtomically, runPublicationCommand, triggerSync } from "./catalog.js"
import { CHANGE_LOG_DDL } from "./changeLog.js"
import { ChangeNotifier } from "./ChangeNotifier.js"
import { parsePublicationCommand } from "./publicationCommand.js"

export interface ChangeCaptureShape {
  readonly notifier: ChangeNotifier
  /** The statement's result when this module answers it itself; undefined: run it as usual. */
  readonly intercept: (sqlite: SqliteSession, statement: string) => Effect.Effect<StatementResult, SqlError> | undefined
  /** Work after a statement succeeded, when there is any for it (checked on the text, so reads cost nothing). */
  readonly afterStatement: (sqlite: SqliteSession, statement: string) => Effect.Effect<void> | undefined
}

export class ChangeCapture extends Context.Tag("@pgwire-ts/example-sqlite/ChangeCapture")<ChangeCapture, ChangeCaptureShape>() {}

const SET_CONFIG = /^\s*SELECT\s+(?:pg_catalog\s*\.\s*)?set_config\s*\(\s*'((?:[^']|'')*)'\s*,\s*'((?:[^']|'')*)'\s*,\s*(true|false)\s*\)\s*;?\s*$/i
const TABLE_DDL = /^\s*(?:CREATE|ALTER|DROP)\s+(?:(?:TEMP|TEMPORARY|VIRTUAL)\s+)?TABLE\b/i
const READ_ONLY = /^\s*(?:SELECT|SHOW|SET|RESET|VALUES|EXPLAIN|PRAGMA|BEGIN|START|SAVEPOINT|RELEASE|DISCARD)\b/i

const effects = { transaction: undefined, notices: [], parameterChanges: [] } as const

/** `set_config(name, value, is_local)` as a SET (pg_recvlogical and pg_dump clear search_path with it). */
const setConfig = (sqlite: SqliteSession, m: RegExpExecArray): Effect.Effect<StatementResult, SqlError> => {
  const name = m[1]!.replaceAll("''", "'")
  const value = m[2]!.replaceAll("''", "'")
  const local = m[3]!.toLowerCase() === "true"
  const set = `SET ${local ? "LOCAL " : ""}"${name.replaceAll('"', '""')}" = '${value.replaceAll("'", "''")}'`
  return Effect.map(sqlite.query(set), (results) => ({
    _tag: "Rows",
    ...effects,
    notices: results[0]?.notices ?? [],
    parameterChanges: results[0]?.parameterChanges ?? [],
    columns: [{ name: "set_config", typeOid: PgType.text, declared: null }],
    rows: Stream.make([value]),
    commandTag: (n: number) => `SELECT ${n}`
  }))
}

export const makeChangeCapture = (engine: SqliteEngine): Effect.Effect<ChangeCaptureShape, SqlError, Scope.Scope> =>
  Effect.gen(function* () {
    // The log exists before any statement can write through a trigger or a TRUNCATE.
    const setup = yield* engine.openSession()
    yield* setup.query(CHANGE_LOG_DDL.join(";\n"))
    const notifier = new ChangeNotifier()

    const syncTriggers = (sqlite: SqliteSession): Effect.Effect<void> =>
      Effect.gen(function* () {
        const publications = yield* loadPublications(sqlite)
        if (publications.length === 0) return
        yield* runAtomically(sqlite, yield* triggerSync(sqlite, publications))
      }).pipe(Effect.catchAllCause((cause) => Effect.logError("change capture: updating triggers failed", cause)))

    return {
      notifier,
      intercept: (sqlite, statement) => {
        const publication = parsePublicationCommand(statement)
        if (publication !== undefined) {
          if (publication._tag === "Refused") return Effect.fail(sqlError(publication.code, publication.message))
          return Effect.map(runPublicationCommand(sqlite, publication), (r) => ({
            _tag: "Command",
            ...effects,
            notices: r.notices.map((message) => ({ severity: "NOTICE" as const, code: "00000", message })),
            commandTag: r.tag
          }))
        }
        const m = SET_CONFIG.exec(statement)
        return m === null ? undefined : setConfig(sqlite, m)
      },
      afterStatement: (sqlite, statement) => {
        const ddl = TABLE_DDL.test(statement)
        if (!ddl && READ_ONLY.test(statement)) return undefined
        return Effect.suspend(() =>
          Effect.zipRight(
            ddl ? syncTriggers(sqlite) : Effect.void,
            Effect.sync(() => {
              // Committed (or autocommitted): streams may have something new to read.
              if (sqlite.transactionStatus === "I") notifier.poke()
            })
          )
        )
      }
    } satisfies ChangeCaptureShape
  })
