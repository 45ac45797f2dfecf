/**
 * The DuckDB database this server fronts: one instance, opened when the layer
 * is built (CSV files listed in `preload` become tables right away) and
 * closed when its scope closes. Each client session gets its own DuckDB
 * connection (DuckDB keeps transactions per connection), see `DuckDbSession`.
 */
import { DuckDBInstance } from "@duckdb/node-api"
import { Context, Data, Effect, Layer } from "effect"
import { loadSql, type LoadStatement } from "./loadStatement.js"

export class DuckDbOpenError extends Data.TaggedError("DuckDbOpenError")<{
  readonly message: string
  readonly cause: unknown
}> {}

export interface DuckDbDatabaseOptions {
  /** A database file, or ":memory:" (the default). */
  readonly path?: string | undefined
  /** CSV files loaded as tables at start, as `LOAD '<path>' AS <table>` would. */
  readonly preload?: ReadonlyArray<LoadStatement> | undefined
  /** DuckDB settings (`threads`, `memory_limit`...). */
  readonly config?: Readonly<Record<string, string>> | undefined
}

export class DuckDbDatabase extends Context.Tag("@pgwire-ts/example-duckdb/DuckDbDatabase")<
  DuckDbDatabase,
  { readonly instance: DuckDBInstance }
>() {
  static layer(options: DuckDbDatabaseOptions = {}): Layer.Layer<DuckDbDatabase, DuckDbOpenError> {
    return Layer.scoped(DuckDbDatabase, open(options))
  }
}

const open = (options: DuckDbDatabaseOptions) =>
  Effect.gen(function* () {
    const path = options.path ?? ":memory:"
    const instance = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => DuckDBInstance.create(path, { ...options.config }),
        catch: (cause) => new DuckDbOpenError({ message: `cannot open DuckDB database ${path}: ${messageOf(cause)}`, cause })
      }),
      (instance) => Effect.sync(() => instance.closeSync())
    )
    for (const load of options.preload ?? []) {
      yield* Effect.tryPromise({
        try: async () => {
          const connection = await instance.connect()
          try {
            await connection.run(loadSql(load))
          } finally {
            connection.closeSync()
          }
        },
        catch: (cause) => new DuckDbOpenError({ message: `cannot load ${load.path} as ${load.table}: ${messageOf(cause)}`, cause })
      })
    }
    return { instance }
  })

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
