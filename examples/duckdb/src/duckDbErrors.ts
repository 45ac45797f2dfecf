/**
 * DuckDB errors → PostgreSQL errors. DuckDB names its error class in the
 * message (`Catalog Error: Table with name x does not exist!`); clients branch
 * on SQLSTATE, so the class picks the code, the first line is the message,
 * and DuckDB's `Did you mean ...` suggestion becomes the hint.
 */
import { PgError } from "@pgwire-ts/server"
import { SqlState } from "@pgwire-ts/protocol"

const byClass: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Parser Error/, SqlState.SyntaxError],
  [/^Catalog Error: (Table|View|Schema) with name .* does not exist/, SqlState.UndefinedTable],
  [/^Catalog Error: .* with name .* already exists/, SqlState.DuplicateObject],
  [/^Catalog Error: Scalar Function with name .* does not exist/, SqlState.UndefinedFunction],
  [/^Catalog Error/, SqlState.UndefinedObject],
  [/^Binder Error: Referenced column .* not found/, SqlState.UndefinedColumn],
  [/^Binder Error: No function matches|^Binder Error: Could not choose a best candidate function/, SqlState.UndefinedFunction],
  [/^Binder Error/, SqlState.SyntaxErrorOrAccessRuleViolation],
  [/^Conversion Error|^Invalid Input Error/, SqlState.InvalidTextRepresentation],
  [/^Out of Range Error/, SqlState.NumericValueOutOfRange],
  [/^Constraint Error: .*(PRIMARY KEY|UNIQUE)/, SqlState.UniqueViolation],
  [/^Constraint Error: NOT NULL/, SqlState.NotNullViolation],
  [/^Constraint Error/, SqlState.IntegrityConstraintViolation],
  [/^TransactionContext Error: Current transaction is aborted/, SqlState.InFailedSqlTransaction],
  [/^TransactionContext Error/, SqlState.ActiveSqlTransaction],
  [/^IO Error/, SqlState.IoError],
  [/^Permission Error/, SqlState.InsufficientPrivilege],
  [/^INTERRUPT Error|^Interrupt Error/, SqlState.QueryCanceled],
  [/^Not implemented Error/, SqlState.FeatureNotSupported],
  [/^Out of Memory Error/, SqlState.OutOfMemory]
]

/** The PgError for something DuckDB threw (an Error, or anything else a native call rejected with). */
export const fromDuckDbError = (cause: unknown): PgError => {
  const raw = cause instanceof Error ? cause.message : String(cause)
  // stream() wraps parse failures: "Failed to extract statements: Parser Error: ...".
  const text = raw.replace(/^Failed to extract statements: /, "")
  const code = byClass.find(([pattern]) => pattern.test(text))?.[1] ?? SqlState.InternalError
  const lines = text.split("\n")
  const message = lines[0]!.replace(/^[A-Za-z ]+ Error: /, "")
  const hint = lines.find((l) => l.startsWith("Did you mean"))
  return PgError.make(code, message, hint === undefined ? undefined : { hint })
}
