import { Oid } from "@pgwire-ts/protocol"
import {
  ExtendedQueryHandler,
  type Field,
  QueryParser,
  QueryResult,
  ResultSet,
  SimpleQueryHandler
} from "@pgwire-ts/server"
import { Chunk, Effect, Layer, Option, Stream } from "effect"

export interface FixedOptions {
  /** Answer every statement with this many generated rows instead of the fixed result. */
  readonly series?: number
}

const fixedFields: ReadonlyArray<Field> = [ResultSet.field("id", Oid.int4), ResultSet.field("name", Oid.text)]

/** The fixed answer to any statement: two columns, three rows (one NULL), as in pgwire's server example. */
export const fixedResult = (): QueryResult =>
  ResultSet.make({
    fields: fixedFields,
    rows: [
      [0, "Tom"],
      [1, "Jerry"],
      [2, null]
    ]
  })

const seriesFields: ReadonlyArray<Field> = [
  ResultSet.field("id", Oid.int4),
  ResultSet.field("label", Oid.text),
  ResultSet.field("value", Oid.float8),
  ResultSet.field("even", Oid.bool)
]

const seriesRow = (i: number): ReadonlyArray<unknown> => [i, `row ${i}`, i * 0.5, i % 2 === 0]

// Up to this many rows, an array.
const ARRAY_ROWS = 1024
// Rows per Stream chunk. Small chunks keep the heap small: rows of a chunk stay alive while it is
// sent, and with 1,024-row chunks V8 promoted so many of them to the old generation that the heap
// peaked at ~136 MiB streaming SELECT 1000000 to psql (50 MiB with 128-row chunks; the live heap
// stays at its idle size either way, it is garbage awaiting a major GC).
const CHUNK = 128

/**
 * `count` rows of four columns (id int4, label text, value float8, even bool).
 * Up to 1,024 rows they are a plain array (the server encodes an Iterable in a
 * loop, no Stream machinery: what `SELECT 1` under pgbench measures); beyond,
 * a Stream generated a chunk at a time as the client reads them, so memory
 * stays flat whatever `count` is.
 */
export const seriesResult = (count: number): QueryResult => {
  if (count <= ARRAY_ROWS) {
    const rows = new Array<ReadonlyArray<unknown>>(count)
    for (let i = 1; i <= count; i++) rows[i - 1] = seriesRow(i)
    return ResultSet.make({ fields: seriesFields, rows })
  }
  return ResultSet.make({
    fields: seriesFields,
    rows: Stream.unfoldChunk(1, (from) => {
      if (from > count) return Option.none()
      const to = Math.min(count, from + CHUNK - 1)
      const rows = new Array<ReadonlyArray<unknown>>(to - from + 1)
      for (let i = from; i <= to; i++) rows[i - from] = seriesRow(i)
      return Option.some([Chunk.unsafeFromArray(rows), to + 1])
    })
  })
}

// `SELECT 1000000`: stream that many rows (the largest int4, like generate_series(1, n)).
const SERIES = /^select\s+(\d{1,10})$/i

/** How many generated rows a statement asks for, or undefined for the fixed result. */
const seriesCount = (statement: string, options: FixedOptions): number | undefined => {
  if (options.series !== undefined) return options.series
  const m = SERIES.exec(statement.trim())
  const n = m === null ? NaN : Number(m[1])
  return Number.isSafeInteger(n) && n <= 2147483647 ? n : undefined
}

/** The result for one statement: generated rows for `SELECT n` (or always, with `series`), else the fixed result. */
export const answer = (statement: string, options: FixedOptions = {}): QueryResult => {
  const n = seriesCount(statement, options)
  return n === undefined ? fixedResult() : seriesResult(n)
}

/** The simple-query handler: one result per statement of the query string, already computed (`Effect.succeed`). */
export const layer = (options: FixedOptions = {}): Layer.Layer<SimpleQueryHandler> =>
  SimpleQueryHandler.perStatement((statement) => Effect.succeed(answer(statement, options)))

/** What Parse keeps of a statement: its text (the answer is computed at Execute, like a real engine would). */
interface FixedStatement {
  readonly text: string
}

// `$1`, `$23`: the parameters a statement uses (their values do not change the fixed answer).
const PARAMETER = /\$(\d+)/g

/**
 * Parse: any statement is accepted; `$n` parameters are counted and typed as
 * the client said (text when unspecified); the result columns are those of
 * the answer, empty statements have none.
 */
export const parserLayer = (options: FixedOptions = {}): Layer.Layer<QueryParser> =>
  QueryParser.layer<FixedStatement>((sql, clientTypes) =>
    Effect.sync(() => {
      let count = clientTypes.length
      for (const m of sql.matchAll(PARAMETER)) count = Math.max(count, Number(m[1]))
      const parameterTypes = Array.from({ length: count }, (_, i) => clientTypes[i] || Oid.text)
      const text = sql.trim().replace(/;\s*$/, "")
      const fields = text === "" ? undefined : seriesCount(text, options) === undefined ? fixedFields : seriesFields
      return { statement: { text }, parameterTypes, fields }
    })
  )

/** Execute: the same answer as the simple-query handler gives the statement. */
export const extendedLayer = (options: FixedOptions = {}): Layer.Layer<ExtendedQueryHandler> =>
  ExtendedQueryHandler.layer<FixedStatement>((portal) =>
    Effect.succeed(portal.statement.text === "" ? QueryResult.empty : answer(portal.statement.text, options))
  )

/** Simple and extended query handlers together. */
export const handlersLayer = (options: FixedOptions = {}): Layer.Layer<SimpleQueryHandler | QueryParser | ExtendedQueryHandler> =>
  Layer.mergeAll(layer(options), parserLayer(options), extendedLayer(options))
