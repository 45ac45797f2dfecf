import type { Effect, Stream } from "effect"
import type { PgError } from "../errors/PgError.js"
import type { CurrentSession } from "../session/CurrentSession.js"

/** 0: textual (text or CSV), 1: binary; per column in the Copy*Response messages. */
export type CopyFormatCode = 0 | 1

/**
 * COPY FROM STDIN: the server sends CopyInResponse, then hands the payloads
 * of the client's CopyData messages to `consume` as a Stream, pulled as fast
 * as `consume` reads them (the client is not read ahead of it). CopyDone ends
 * the stream; CopyFail fails it with 57014 "COPY from stdin failed: ...".
 * `consume` returns the row count (`COPY n`). Apply nothing unless the stream
 * ended normally: that is what makes a CopyFail leave no trace.
 */
export interface CopyInResult {
  readonly _tag: "CopyIn"
  readonly format: CopyFormatCode
  readonly columnFormats: ReadonlyArray<CopyFormatCode>
  readonly consume: (data: Stream.Stream<Uint8Array, PgError>) => Effect.Effect<number, PgError, CurrentSession>
}

/**
 * COPY TO STDOUT: CopyOutResponse, one CopyData message per element of
 * `data` (PostgreSQL sends one per row), CopyDone, CommandComplete.
 */
export interface CopyOutResult {
  readonly _tag: "CopyOut"
  readonly format: CopyFormatCode
  readonly columnFormats: ReadonlyArray<CopyFormatCode>
  readonly data: Stream.Stream<Uint8Array, PgError, CurrentSession>
  /** The CommandComplete tag from the number of CopyData messages sent; default `COPY <messages>`. */
  readonly tag: ((messages: number) => string) | undefined
}

/**
 * Copy-both (streaming replication): CopyBothResponse, then CopyData both
 * ways. `run` gets the client's CopyData payloads and returns the payloads to
 * send; each chunk of it is flushed at once. It must read `inbound` within the
 * returned stream (e.g. `Stream.merge`): once that stream ends the server
 * sends CopyDone and discards the client's data up to its CopyDone. The
 * client's CopyDone ends `inbound`. Then CommandComplete with `tag`.
 */
export interface CopyBothResult {
  readonly _tag: "CopyBoth"
  readonly format: CopyFormatCode
  readonly columnFormats: ReadonlyArray<CopyFormatCode>
  readonly run: (inbound: Stream.Stream<Uint8Array, PgError>) => Stream.Stream<Uint8Array, PgError, CurrentSession>
  /** Default "COPY 0" (what PostgreSQL's walsender sends). */
  readonly tag: string
}

export type CopyResult = CopyInResult | CopyOutResult | CopyBothResult

export interface CopyInOptions {
  /** Default 0 (text). */
  readonly format?: CopyFormatCode | undefined
  /** One code per column; default `columns` codes equal to `format`. */
  readonly columnFormats?: ReadonlyArray<CopyFormatCode> | undefined
  /** Number of columns, when `columnFormats` is not given (default 0). */
  readonly columns?: number | undefined
  readonly consume: CopyInResult["consume"]
}

export interface CopyOutOptions {
  readonly format?: CopyFormatCode | undefined
  readonly columnFormats?: ReadonlyArray<CopyFormatCode> | undefined
  readonly columns?: number | undefined
  readonly data: CopyOutResult["data"]
  readonly tag?: ((messages: number) => string) | undefined
}

export interface CopyBothOptions {
  readonly format?: CopyFormatCode | undefined
  readonly columnFormats?: ReadonlyArray<CopyFormatCode> | undefined
  readonly run: CopyBothResult["run"]
  readonly tag?: string | undefined
}

const formatsOf = (o: {
  readonly format?: CopyFormatCode | undefined
  readonly columnFormats?: ReadonlyArray<CopyFormatCode> | undefined
  readonly columns?: number | undefined
}) => {
  const format = o.format ?? 0
  return { format, columnFormats: o.columnFormats ?? new Array<CopyFormatCode>(o.columns ?? 0).fill(format) }
}

/** The byte-level COPY results (`QueryResult.copyIn` / `copyOut` / `copyBoth`). */
export const copyIn = (o: CopyInOptions): CopyInResult => ({ _tag: "CopyIn", ...formatsOf(o), consume: o.consume })

export const copyOut = (o: CopyOutOptions): CopyOutResult => ({ _tag: "CopyOut", ...formatsOf(o), data: o.data, tag: o.tag })

export const copyBoth = (o: CopyBothOptions): CopyBothResult => ({
  _tag: "CopyBoth",
  ...formatsOf(o),
  run: o.run,
  tag: o.tag ?? "COPY 0"
})
