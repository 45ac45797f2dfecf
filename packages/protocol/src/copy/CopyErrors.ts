import { Data } from "effect"

/** SQLSTATE 22P04 bad_copy_file_format: what PostgreSQL answers for malformed COPY data. */
export const SQLSTATE_BAD_COPY_FILE_FORMAT = "22P04"
/** SQLSTATE 22021 character_not_in_repertoire: input (or a de-escaped value) that is not valid UTF-8, or a NUL byte. */
export const SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE = "22021"

/**
 * COPY data that cannot be parsed: a bad escape, an unterminated quoted CSV
 * field, a row with the wrong number of columns, a truncated or malformed
 * binary stream. `line` is PostgreSQL's line number (for binary: the tuple
 * number; 0 while reading the binary header). `sqlState` is what PostgreSQL
 * answers for the same input: 22P04 (bad_copy_file_format), or 22021 for bytes
 * that are not valid UTF-8.
 */
export class CopyFormatError extends Data.TaggedError("CopyFormatError")<{
  readonly reason: string
  readonly line: number
  readonly sqlState: string
}> {
  override get message(): string {
    return `COPY data, line ${this.line}: ${this.reason}`
  }
}

/**
 * Invalid COPY options or an unparsable COPY statement, with the SQLSTATE
 * PostgreSQL uses for it (42601 syntax_error, 22023 invalid_parameter_value,
 * 0A000 feature_not_supported, 42P10 invalid_column_reference).
 */
export class CopyOptionsError extends Data.TaggedError("CopyOptionsError")<{
  readonly reason: string
  readonly sqlState: string
}> {
  override get message(): string {
    return this.reason
  }
}

/** A row the COPY encoders cannot write: a NUL character in a text value, a field of the wrong kind for the format. */
export class CopyEncodeError extends Data.TaggedError("CopyEncodeError")<{
  readonly reason: string
}> {
  override get message(): string {
    return `cannot encode COPY row: ${this.reason}`
  }
}

export const formatError = (reason: string, line: number, sqlState: string = SQLSTATE_BAD_COPY_FILE_FORMAT): CopyFormatError =>
  new CopyFormatError({ reason, line, sqlState })

export const optionsError = (reason: string, sqlState: string): CopyOptionsError => new CopyOptionsError({ reason, sqlState })
