import { Data } from "effect"

/**
 * A statement's failure as PostgreSQL would report it: a SQLSTATE and the
 * ErrorResponse fields the engine can fill. The server adapter turns it into
 * a `PgError` one to one.
 */
export class SqlError extends Data.TaggedError("SqlError")<{
  readonly code: string
  readonly message: string
  readonly detail?: string
  readonly hint?: string
  readonly table?: string
  readonly column?: string
  readonly constraint?: string
}> {}

/** A warning or notice produced while running a statement (NoticeResponse). */
export interface SqlNotice {
  readonly severity: "WARNING" | "NOTICE"
  readonly code: string
  readonly message: string
}

export const sqlError = (code: string, message: string, extra?: Omit<ConstructorParameters<typeof SqlError>[0], "code" | "message">): SqlError =>
  new SqlError({ code, message, ...extra })

export const queryCanceled = (reason: "user" | "timeout" = "user"): SqlError =>
  sqlError("57014", reason === "timeout" ? "canceling statement due to statement timeout" : "canceling statement due to user request")
