import { Chunk, Effect, Stream } from "effect"
import { Writer } from "../buffer/Writer.js"
import { TypeEncodeError } from "../types/TypeErrors.js"
import { CopyEncodeError, CopyFormatError, CopyOptionsError } from "./CopyErrors.js"
import { CopyEncoder } from "./CopyEncoder.js"
import type { CopyColumns, CopyOptions } from "./CopyOptions.js"
import { type CopyRowOf, makeCopyParser } from "./makeCopyParser.js"

const isEncodeError = (e: unknown): e is CopyOptionsError | CopyEncodeError | TypeEncodeError =>
  e instanceof CopyOptionsError || e instanceof CopyEncodeError || e instanceof TypeEncodeError

/** Runs a throwing step: our typed errors fail the effect, anything else is a defect. */
const attempt = <A, E>(f: () => A, is: (e: unknown) => e is E): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      return is(e) ? Effect.fail(e) : Effect.die(e)
    }
  })

const isDecodeError = (e: unknown): e is CopyFormatError | CopyOptionsError =>
  e instanceof CopyFormatError || e instanceof CopyOptionsError

/**
 * Turns a stream of COPY data chunks (the payloads of CopyData messages) into
 * a stream of rows, one parser per run. Fails with `CopyFormatError` on
 * malformed data (SQLSTATE 22P04/22021) and `CopyOptionsError` for invalid
 * options. After the end-of-data marker the rest of the input is still
 * consumed and ignored (text/CSV), as PostgreSQL does until CopyDone.
 */
export const decodeCopyStream =
  <O extends CopyOptions>(options: O, columns?: CopyColumns) =>
  <E, R>(chunks: Stream.Stream<Uint8Array, E, R>): Stream.Stream<CopyRowOf<O>, E | CopyFormatError | CopyOptionsError, R> =>
    Stream.unwrap(
      Effect.map(
        attempt(() => makeCopyParser(options, columns), isDecodeError),
        (parser) => {
          const rows = Stream.mapChunksEffect(chunks, (input) =>
            attempt(() => {
              const out: Array<CopyRowOf<O>> = []
              for (const chunk of input) {
                parser.push(chunk)
                for (let row = parser.next(); row !== undefined; row = parser.next()) out.push(row)
              }
              return Chunk.unsafeFromArray(out)
            }, isDecodeError)
          )
          return Stream.concat(rows, Stream.fromIterableEffect(attempt(() => parser.end(), isDecodeError)))
        }
      )
    )

/** Output is cut into chunks of about this size, so one large input chunk does not become one huge buffer. */
const OUTPUT_CHUNK_BYTES = 64 * 1024

const encodeWith =
  <Row>(options: CopyOptions, columns: CopyColumns | undefined, write: (encoder: CopyEncoder, w: Writer, row: Row) => void) =>
  <E, R>(
    rows: Stream.Stream<Row, E, R>
  ): Stream.Stream<Uint8Array, E | CopyEncodeError | CopyOptionsError | TypeEncodeError, R> =>
    Stream.unwrap(
      Effect.map(
        attempt(() => new CopyEncoder(options, columns), isEncodeError),
        (encoder) => {
          const w = new Writer(OUTPUT_CHUNK_BYTES)
          const header = Stream.suspend(() => {
            encoder.writeHeader(w)
            return w.length > 0 ? Stream.succeed<Uint8Array>(w.take()) : Stream.empty
          })
          const body = Stream.mapChunksEffect(rows, (input) =>
            attempt(() => {
              const out: Array<Uint8Array> = []
              for (const row of input) {
                write(encoder, w, row)
                if (w.length >= OUTPUT_CHUNK_BYTES) out.push(w.take())
              }
              if (w.length > 0) out.push(w.take())
              return Chunk.unsafeFromArray(out)
            }, isEncodeError)
          )
          const trailer = Stream.suspend(() => {
            encoder.writeTrailer(w)
            return w.length > 0 ? Stream.succeed<Uint8Array>(w.take()) : Stream.empty
          })
          return Stream.concat(Stream.concat(header, body), trailer)
        }
      )
    )

/**
 * Turns a stream of rows of raw fields (strings for text/CSV, bytes for
 * binary, null for NULL) into COPY data chunks: the header (binary, or HEADER),
 * the rows, the trailer (binary). Fails with `CopyEncodeError` / `CopyOptionsError`.
 */
export const encodeCopyStream = (
  options: CopyOptions,
  columns?: CopyColumns
): (<E, R>(
  rows: Stream.Stream<ReadonlyArray<string | Uint8Array | null>, E, R>
) => Stream.Stream<Uint8Array, E | CopyEncodeError | CopyOptionsError | TypeEncodeError, R>) =>
  encodeWith<ReadonlyArray<string | Uint8Array | null>>(options, columns, (encoder, w, row) => encoder.writeRow(w, row))

/**
 * Like `encodeCopyStream` for rows of JS values, encoded by the codecs of
 * `columns.oids` (`CopyEncoder.writeValues`). Fails also with a codec's `TypeEncodeError`.
 */
export const encodeCopyValuesStream = (
  options: CopyOptions,
  columns?: CopyColumns
): (<E, R>(
  rows: Stream.Stream<ReadonlyArray<unknown>, E, R>
) => Stream.Stream<Uint8Array, E | CopyEncodeError | CopyOptionsError | TypeEncodeError, R>) =>
  encodeWith<ReadonlyArray<unknown>>(options, columns, (encoder, w, row) => encoder.writeValues(w, row))
