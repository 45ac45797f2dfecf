/// <reference path="./gluesql.d.ts" />
/**
 * The GlueSQL database: one in-memory GlueSQL instance (WebAssembly) shared
 * by every session. Statements run one at a time (GlueSQL's instance is not
 * meant for interleaved queries), each answered as PostgreSQL would: rows
 * with typed columns, or a command tag.
 */
import { Oid } from "@pgwire-ts/protocol"
import { type PgError, QueryResult, ResultSet } from "@pgwire-ts/server"
import { Context, Effect, Layer } from "effect"
import { gluesql } from "gluesql"
import { fromGlueError } from "./glueErrors.js"
import { type DeclaredColumn, resultColumns } from "./resultColumns.js"
import { selectShape } from "./selectShape.js"

type Payload = Readonly<Record<string, unknown>> & { readonly type: string }
type RowObject = Readonly<Record<string, unknown>>

export interface GlueDatabaseShape {
  /** Runs one statement; GlueSQL may still find several in it, hence an array. */
  readonly run: (statement: string) => Effect.Effect<ReadonlyArray<QueryResult>, PgError>
}

export class GlueDatabase extends Context.Tag("@pgwire-ts/example-gluesql/GlueDatabase")<GlueDatabase, GlueDatabaseShape>() {
  /** A fresh in-memory database; `setup` statements run first (e.g. CREATE TABLE and INSERT). */
  static layer(setup: ReadonlyArray<string> = []): Layer.Layer<GlueDatabase, PgError> {
    return Layer.scoped(GlueDatabase, make(setup))
  }
}

const make = (setup: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const glue = yield* Effect.acquireRelease(Effect.sync(gluesql), (g) => Effect.sync(() => g.free()))
    const lock = yield* Effect.makeSemaphore(1)
    const query = (sql: string) =>
      Effect.tryPromise({ try: () => glue.query(sql) as Promise<ReadonlyArray<Payload>>, catch: fromGlueError })
    const describeTable = (table: string) =>
      query(`SHOW COLUMNS FROM ${table}`).pipe(
        Effect.map((payloads) => payloads[0]?.["columns"] as ReadonlyArray<DeclaredColumn> | undefined),
        Effect.orElseSucceed(() => undefined)
      )
    const run = (statement: string) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const payloads = yield* query(statement)
          const results: Array<QueryResult> = []
          for (const payload of payloads) results.push(yield* toResult(payload, statement, describeTable))
          return results
        })
      )
    for (const statement of setup) yield* run(statement)
    return { run } satisfies GlueDatabaseShape
  })

const text = (name: string) => ResultSet.field(name, Oid.text)

const toResult = (
  payload: Payload,
  statement: string,
  describeTable: (table: string) => Effect.Effect<ReadonlyArray<DeclaredColumn> | undefined>
): Effect.Effect<QueryResult> =>
  Effect.gen(function* () {
    const affected = Number(payload["affected"] ?? 0)
    switch (payload.type) {
      case "SELECT": {
        const rows = (payload["rows"] ?? []) as ReadonlyArray<RowObject>
        const shape = selectShape(statement)
        const schemas = new Map<string, ReadonlyArray<DeclaredColumn>>()
        for (const ref of shape?.from ?? []) {
          const columns = yield* describeTable(ref.name)
          if (columns !== undefined) schemas.set(ref.name, columns)
        }
        const columns = resultColumns(shape, rows, schemas)
        return ResultSet.make({
          fields: columns.map((c) => ResultSet.field(c.name, c.type.oid)),
          rows: rows.map((row) =>
            columns.map((c) => {
              const v = row[c.key]
              return v === null || v === undefined ? null : c.type.convert(v)
            })
          )
        })
      }
      case "INSERT":
        return QueryResult.command(`INSERT 0 ${affected}`)
      case "UPDATE":
      case "DELETE":
        return QueryResult.command(`${payload.type} ${affected}`)
      case "SHOW COLUMNS": {
        const columns = (payload["columns"] ?? []) as ReadonlyArray<DeclaredColumn>
        return ResultSet.make({ fields: [text("name"), text("type")], rows: columns.map((c) => [c.name, c.type]) })
      }
      case "SHOW TABLES":
        return ResultSet.make({ fields: [text("name")], rows: ((payload["tables"] ?? []) as ReadonlyArray<string>).map((t) => [t]) })
      case "SHOW VERSION":
        return ResultSet.make({ fields: [text("version")], rows: [[String(payload["version"])]] })
      default:
        // CREATE TABLE, DROP TABLE, ALTER TABLE, ...: GlueSQL's type is the tag.
        return QueryResult.command(payload.type)
    }
  })
