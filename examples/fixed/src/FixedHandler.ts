import { Oid } from "@pgwire-ts/protocol"
import { type QueryResult, ResultSet, SimpleQueryHandler, splitStatements } from "@pgwire-ts/server"
import { Chunk, type Layer, Option, Stream } from "effect"

export interface FixedOptions {
  /** Answer every statement with this many generated rows instead of the fixed result. */
  readonly series?: number
}

/** The fixed answer to any statement: two columns, three rows (one NULL), as in pgwire's server example. */
export const fixedResult = (): QueryResult =>
  ResultSet.make({
    fields: [ResultSet.field("id", Oid.int4), ResultSet.field("name", Oid.text)],
    rows: [
      [0, "Tom"],
      [1, "Jerry"],
      [2, null]
    ]
  })

const CHUNK = 1024

/**
 * `count` rows of four columns (id int4, label text, value float8, even bool),
 * generated a chunk at a time as the client reads them: memory stays flat
 * whatever `count` is.
 */
export const seriesResult = (count: number): QueryResult =>
  ResultSet.make({
    fields: [
      ResultSet.field("id", Oid.int4),
      ResultSet.field("label", Oid.text),
      ResultSet.field("value", Oid.float8),
      ResultSet.field("even", Oid.bool)
    ],
    rows: Stream.unfoldChunk(1, (from) => {
      if (from > count) return Option.none()
      const to = Math.min(count, from + CHUNK - 1)
      const rows = new Array<ReadonlyArray<unknown>>(to - from + 1)
      for (let i = from; i <= to; i++) rows[i - from] = [i, `row ${i}`, i * 0.5, i % 2 === 0]
      return Option.some([Chunk.unsafeFromArray(rows), to + 1])
    })
  })

// `SELECT 1000000`: stream that many rows (the largest int4, like generate_series(1, n)).
const SERIES = /^select\s+(\d{1,10})$/i

/** The result for one statement: generated rows for `SELECT n` (or always, with `series`), else the fixed result. */
export const answer = (statement: string, options: FixedOptions = {}): QueryResult => {
  if (options.series !== undefined) return seriesResult(options.series)
  const m = SERIES.exec(statement)
  const n = m === null ? NaN : Number(m[1])
  return Number.isSafeInteger(n) && n <= 2147483647 ? seriesResult(n) : fixedResult()
}

/** The handler: one result per statement of the query string. */
export const layer = (options: FixedOptions = {}): Layer.Layer<SimpleQueryHandler> =>
  SimpleQueryHandler.layer((query) => Stream.map(Stream.fromIterable(splitStatements(query)), (s) => answer(s, options)))
