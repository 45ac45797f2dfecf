import type { Writer } from "../buffer/Writer.js"

/**
 * Text and binary wire formats of one PostgreSQL type.
 *
 * - `A` is the JS value decoders produce; `I` is what encoders accept (a superset
 *   of `A`: e.g. the timestamp codec decodes to a string and also encodes a `Date`).
 * - `encodeBinary` appends the value's bytes only (no length word); the caller
 *   writes the int32 length around it (see `Writer.reserveInt32`/`patchInt32`).
 * - `decodeBinary` reads `buf[start, end)`, the value's bytes without the length.
 *   It never keeps a view into `buf`: bytea values are copied.
 * - Decoders throw `TypeDecodeError` and encoders throw `TypeEncodeError` on bad
 *   input (never a RangeError/TypeError); they are plain functions with no Effect
 *   runtime, so they can run per cell on the hot path. Wrap them with
 *   `Effect.try` at an Effect boundary.
 */
export interface TypeCodec<A, I = A> {
  readonly oid: number
  /** OID of the array type whose elements are this type; 0 if none. */
  readonly arrayOid: number
  /** pg_type.typname (`int4`, `_int4`, `timestamptz`...). */
  readonly name: string
  encodeText(value: I): string
  decodeText(text: string): A
  encodeBinary(w: Writer, value: I): void
  decodeBinary(buf: Uint8Array, start: number, end: number): A
}

/** A codec with its value types erased, as the registry hands it out. */
export type AnyTypeCodec = TypeCodec<unknown, any>

/**
 * A PostgreSQL array value: one-dimensional arrays decode as `Array<A | null>`;
 * a multi-dimensional array decodes as nested arrays (`[[1, 2], [3, 4]]`).
 * Lower bounds other than 1 are not kept.
 */
export type PgArray<A> = Array<A | null | PgArray<A>>

/** What array encoders accept: (nested) arrays of the element codec's input type. */
export type PgArrayInput<I> = ReadonlyArray<I | null | undefined | PgArrayInput<I>>
