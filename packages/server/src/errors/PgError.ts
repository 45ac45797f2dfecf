import type { ErrorFields } from "@pgwire-ts/protocol"
import { Data } from "effect"

type Numeric = string | number

/**
 * What a handler fails with: every field of an ErrorResponse. `severity`
 * defaults to ERROR; a FATAL error closes the connection after it is sent.
 */
export interface PgErrorProps {
  readonly severity?: "ERROR" | "FATAL" | "PANIC" | undefined
  /** SQLSTATE, e.g. `SqlState.UndefinedTable` ("42P01"). */
  readonly code: string
  readonly message: string
  readonly detail?: string | undefined
  readonly hint?: string | undefined
  /** 1-based character position in the query string. */
  readonly position?: Numeric | undefined
  readonly internalPosition?: Numeric | undefined
  readonly internalQuery?: string | undefined
  readonly where?: string | undefined
  readonly schemaName?: string | undefined
  readonly tableName?: string | undefined
  readonly columnName?: string | undefined
  readonly dataTypeName?: string | undefined
  readonly constraintName?: string | undefined
  readonly file?: string | undefined
  readonly line?: Numeric | undefined
  readonly routine?: string | undefined
}

export class PgError extends Data.TaggedError("PgError")<PgErrorProps> {
  static make(code: string, message: string, extra?: Omit<PgErrorProps, "code" | "message">): PgError {
    return new PgError({ ...extra, code, message })
  }

  get isFatal(): boolean {
    return this.severity === "FATAL" || this.severity === "PANIC"
  }

  /** The wire fields of the ErrorResponse. */
  toFields(): ErrorFields {
    return toErrorFields(this, this.severity ?? "ERROR")
  }
}

/** A NoticeResponse a handler sends mid-query with `session.notice`. */
export interface Notice extends Omit<PgErrorProps, "severity" | "code"> {
  /** Default NOTICE. */
  readonly severity?: "WARNING" | "NOTICE" | "INFO" | "DEBUG" | "LOG" | undefined
  /** Default "00000" (successful_completion), "01000" for a WARNING. */
  readonly code?: string | undefined
}

export const noticeFields = (n: Notice): ErrorFields => {
  const severity = n.severity ?? "NOTICE"
  return toErrorFields({ ...n, code: n.code ?? (severity === "WARNING" ? "01000" : "00000") }, severity)
}

const str = (v: Numeric | undefined): string | undefined => (v === undefined ? undefined : String(v))

const toErrorFields = (p: Omit<PgErrorProps, "severity">, severity: string): ErrorFields => {
  const out: { -readonly [K in keyof ErrorFields]?: ErrorFields[K] } = {
    severity,
    severityNonLocalized: severity,
    code: p.code,
    message: p.message
  }
  if (p.detail !== undefined) out.detail = p.detail
  if (p.hint !== undefined) out.hint = p.hint
  if (p.position !== undefined) out.position = str(p.position)!
  if (p.internalPosition !== undefined) out.internalPosition = str(p.internalPosition)!
  if (p.internalQuery !== undefined) out.internalQuery = p.internalQuery
  if (p.where !== undefined) out.where = p.where
  if (p.schemaName !== undefined) out.schemaName = p.schemaName
  if (p.tableName !== undefined) out.tableName = p.tableName
  if (p.columnName !== undefined) out.columnName = p.columnName
  if (p.dataTypeName !== undefined) out.dataTypeName = p.dataTypeName
  if (p.constraintName !== undefined) out.constraintName = p.constraintName
  if (p.file !== undefined) out.file = p.file
  if (p.line !== undefined) out.line = str(p.line)!
  if (p.routine !== undefined) out.routine = p.routine
  return out as ErrorFields
}
