import { Data } from "effect"

/** Text or binary wire format of a value (the protocol's format code 0 or 1). */
export type ValueFormat = "text" | "binary"

/**
 * A value that could not be decoded as its type: malformed text, a binary
 * value of the wrong length, an out-of-range number or date. `sqlState` is what
 * PostgreSQL answers for the same input (22P02 invalid_text_representation for
 * bad text, 22P03 invalid_binary_representation for bad binary, 22003 / 22008
 * for out-of-range numbers / dates, and the other
 * codes PostgreSQL's input functions use), so a server can report it as is.
 */
export class TypeDecodeError extends Data.TaggedError("TypeDecodeError")<{
  /** pg_type.typname of the type being decoded (`int4`, `_text`...). */
  readonly typeName: string
  readonly format: ValueFormat
  readonly reason: string
  readonly sqlState: string
}> {
  override get message(): string {
    return `invalid ${this.format} value for type ${this.typeName}: ${this.reason}`
  }
}

/** A JS value that the codec cannot represent as its type (an int4 out of range, an unparsable date string). */
export class TypeEncodeError extends Data.TaggedError("TypeEncodeError")<{
  readonly typeName: string
  readonly reason: string
}> {
  override get message(): string {
    return `cannot encode value as type ${this.typeName}: ${this.reason}`
  }
}

export const SQLSTATE_INVALID_TEXT = "22P02"
export const SQLSTATE_INVALID_BINARY = "22P03"
export const SQLSTATE_OUT_OF_RANGE = "22003"
export const SQLSTATE_DATETIME_OVERFLOW = "22008"
export const SQLSTATE_INVALID_DATETIME = "22007"
export const SQLSTATE_INVALID_PARAMETER = "22023"
export const SQLSTATE_ZONE_DISPLACEMENT = "22009"
export const SQLSTATE_INTERVAL_FIELD_OVERFLOW = "22015"

export const textError = (typeName: string, reason: string, sqlState: string = SQLSTATE_INVALID_TEXT): TypeDecodeError =>
  new TypeDecodeError({ typeName, format: "text", reason, sqlState })

export const binaryError = (typeName: string, reason: string, sqlState: string = SQLSTATE_INVALID_BINARY): TypeDecodeError =>
  new TypeDecodeError({ typeName, format: "binary", reason, sqlState })

export const encodeError = (typeName: string, reason: string): TypeEncodeError => new TypeEncodeError({ typeName, reason })

/** Names any JS value in an error message without throwing (null-prototype objects have no toString). */
export const describeValue = (v: unknown): string => {
  switch (typeof v) {
    case "string":
      return preview(v)
    case "bigint":
      return `${v}n`
    case "number":
    case "boolean":
    case "undefined":
      return String(v)
    case "object":
      return v === null ? "null" : Array.isArray(v) ? "an array" : v instanceof Date ? "a Date" : "an object"
  }
  return typeof v
}

/** Shows a bad input in an error message without echoing megabytes of it. */
export const preview = (s: string): string => JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s)
