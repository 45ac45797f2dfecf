import {
  codecForOid,
  type CopyColumns,
  CopyEncodeError,
  CopyEncoder,
  CopyFormatError,
  type CopyOptions,
  CopyOptionsError,
  type CopyStatement,
  decodeCopyValues,
  inferOid,
  makeCopyParser,
  SqlState,
  TypeDecodeError,
  TypeEncodeError,
  Writer
} from "@pgwire-ts/protocol"
import { Chunk, Effect, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import { type CopyFormatCode, type CopyInResult, type CopyOutResult, copyIn } from "./CopyResult.js"

/** A parsed COPY statement (from `parseCopyStatement`) or just the options of one. */
export type CopySpec = CopyStatement | CopyOptions

const isStatement = (spec: CopySpec): spec is CopyStatement => "direction" in spec

const optionsOf = (spec: CopySpec): CopyOptions => (isStatement(spec) ? spec.options : spec)

/** What PostgreSQL puts in CONTEXT: `COPY t, line 3`. */
const context = (table: string | undefined, line: number): string => `COPY ${table ?? "STDIN"}, line ${line}`

/** A COPY helper's failure as the ErrorResponse PostgreSQL would send. */
export const copyError = (e: unknown, table: string | undefined, line: number): PgError | undefined => {
  if (e instanceof CopyFormatError) return PgError.make(e.sqlState, e.reason, { where: context(table, e.line) })
  if (e instanceof CopyOptionsError) return PgError.make(e.sqlState, e.reason)
  if (e instanceof TypeDecodeError) return PgError.make(e.sqlState, e.message, { where: context(table, line) })
  if (e instanceof CopyEncodeError || e instanceof TypeEncodeError) return PgError.make(SqlState.InternalError, e.message)
  return undefined
}

const attempt = <A>(f: () => A, table: string | undefined, line: () => number): Effect.Effect<A, PgError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      const error = copyError(e, table, line())
      return error === undefined ? Effect.die(e) : Effect.fail(error)
    }
  })

const columnCount = (spec: CopySpec, columns: CopyColumns | undefined): number =>
  columns?.count ?? columns?.names?.length ?? columns?.oids?.length ?? (isStatement(spec) ? (spec.columns?.length ?? 0) : 0)

const formatCode = (options: CopyOptions): CopyFormatCode => (options.format === "binary" ? 1 : 0)

export interface CopyFromOptions {
  /** The COPY statement (its options and table name, for error context) or the options alone. */
  readonly copy: CopySpec
  /**
   * The columns the rows must have: `count` or `names` fix the field count
   * (`names` also checks HEADER MATCH), `oids` make rows JS values decoded with
   * each type's codec; without `oids` a row is its raw fields (strings for
   * text and CSV, bytes for binary, null for NULL).
   */
  readonly columns?: CopyColumns | undefined
  /** Table name for error context; default the statement's. */
  readonly table?: string | undefined
  /** Stores the rows; returns how many (`COPY n`). Store nothing unless the stream ends normally. */
  readonly consume: (rows: Stream.Stream<ReadonlyArray<unknown>, PgError>) => Effect.Effect<number, PgError, CurrentSession>
}

/**
 * COPY FROM STDIN with rows parsed for you (`QueryResult.copyFrom`): the
 * client's data is parsed in the statement's format (text, CSV, binary) as it
 * arrives; malformed data fails the stream with 22P04 (22021 for bad UTF-8) and
 * a bad value with its type's SQLSTATE (22P02...), with `COPY t, line n` as context.
 */
export const copyFrom = (o: CopyFromOptions): CopyInResult => {
  const options = optionsOf(o.copy)
  const table = o.table ?? (isStatement(o.copy) ? o.copy.table : undefined)
  const oids = o.columns?.oids
  const format = formatCode(options)
  return copyIn({
    format,
    columns: columnCount(o.copy, o.columns),
    consume: (data) =>
      Effect.suspend(() => {
        let line = 0
        const at = () => line
        return Effect.flatMap(
          attempt(() => makeCopyParser(options, o.columns), table, at),
          (parser) => {
            const toRow = (raw: ReadonlyArray<string | Uint8Array | null>): ReadonlyArray<unknown> =>
              oids === undefined ? raw : decodeCopyValues(raw, oids, parser.line)
            const rows = Stream.mapChunksEffect(data, (chunks) =>
              attempt(() => {
                const out: Array<ReadonlyArray<unknown>> = []
                for (const chunk of chunks) {
                  parser.push(chunk)
                  for (let raw = parser.next(); raw !== undefined; raw = parser.next()) {
                    line = parser.line
                    out.push(toRow(raw))
                  }
                }
                return Chunk.unsafeFromArray(out)
              }, table, at)
            )
            const rest = Stream.flatMap(
              attempt(() => {
                const last = parser.end()
                line = parser.line
                return last.map(toRow)
              }, table, at),
              Stream.fromIterable
            )
            return o.consume(Stream.concat(rows, rest))
          }
        )
      })
  })
}

export interface CopyToOptions {
  readonly copy: CopySpec
  /** `names` for HEADER, `oids` for the codecs (else each value's type is inferred), `count` to check row widths. */
  readonly columns?: CopyColumns | undefined
  /** JS values per row; in text and CSV a JS string is taken as the value's text form, as in ResultSet rows. */
  readonly rows: Iterable<ReadonlyArray<unknown>> | Stream.Stream<ReadonlyArray<unknown>, PgError, CurrentSession>
}

/** How the server writes a copyTo result straight into its output buffer (internal fast path). */
export interface CopyRowSource {
  readonly encoder: CopyEncoder
  readonly rows: Iterable<ReadonlyArray<unknown>> | Stream.Stream<ReadonlyArray<unknown>, PgError, CurrentSession>
  /** Appends one row's data; throws the protocol package's COPY and type errors. */
  readonly write: (w: Writer, row: ReadonlyArray<unknown>) => void
}

const rowSources = new WeakMap<CopyOutResult, CopyRowSource>()

/** The rows behind a `copyTo` result, if it is one. */
export const copyRowSource = (r: CopyOutResult): CopyRowSource | undefined => rowSources.get(r)

const isStream = (u: unknown): u is Stream.Stream<ReadonlyArray<unknown>, PgError, CurrentSession> =>
  typeof u === "object" && u !== null && Stream.StreamTypeId in u

/**
 * COPY TO STDOUT from rows of JS values (`QueryResult.copyTo`): each row is
 * encoded in the statement's format and options (delimiter, NULL string,
 * HEADER, FORCE_QUOTE...) and sent as one CopyData; the binary header goes with
 * the first row, the trailer alone, as PostgreSQL does. The tag is `COPY <rows>`.
 * An unencodable value fails the COPY with XX000.
 */
export const copyTo = (o: CopyToOptions): CopyOutResult => {
  const options = optionsOf(o.copy)
  const columns: CopyColumns =
    o.columns ?? (isStatement(o.copy) && o.copy.columns !== undefined ? { names: o.copy.columns } : {})
  // Constructed now so that bad options fail here (CopyOptionsError), not mid-stream.
  const encoder = new CopyEncoder(options, columns)
  const oids = columns.oids
  const binary = encoder.format === "binary"
  const write = (w: Writer, row: ReadonlyArray<unknown>): void => {
    if (binary) return encoder.writeValues(w, row)
    const fields = new Array<string | null>(row.length)
    for (let i = 0; i < row.length; i++) {
      const v = row[i]
      fields[i] = v === null || v === undefined ? null : typeof v === "string" ? v : codecForOid(oids?.[i] ?? inferOid(v)).encodeText(v)
    }
    encoder.writeRow(w, fields)
  }
  const source: CopyRowSource = { encoder, rows: o.rows, write }
  const table = isStatement(o.copy) ? o.copy.table : undefined
  let rowsSent = 0
  // The same bytes as a Stream, for code that reads the result rather than the server sending it.
  const data = Stream.suspend(() => {
    rowsSent = 0
    const w = new Writer(1024)
    let started = false
    const start = (out: Array<Uint8Array>) => {
      if (started) return
      started = true
      encoder.writeHeader(w)
      // A HEADER line is a message of its own; the binary header goes with the first row.
      if (!binary && w.length > 0) out.push(w.take())
    }
    const rows = isStream(o.rows) ? o.rows : Stream.fromIterable(o.rows)
    const body = Stream.mapEffect(rows, (row) =>
      attempt(() => {
        const out: Array<Uint8Array> = []
        start(out)
        write(w, row)
        rowsSent++
        out.push(w.take())
        return out
      }, table, () => rowsSent + 1)
    )
    const tail = Stream.suspend(() => {
      const out: Array<Uint8Array> = []
      start(out)
      encoder.writeTrailer(w)
      if (w.length > 0) out.push(w.take())
      return Stream.fromIterable(out)
    })
    return Stream.concat(Stream.flattenIterables(body), tail)
  })
  const result: CopyOutResult = {
    _tag: "CopyOut",
    format: binary ? 1 : 0,
    columnFormats: new Array<CopyFormatCode>(columnCount(o.copy, columns)).fill(binary ? 1 : 0),
    data,
    tag: () => `COPY ${rowsSent}`
  }
  rowSources.set(result, source)
  return result
}
