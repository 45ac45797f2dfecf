/**
 * GlueSQL errors → PostgreSQL errors. GlueSQL rejects with a message string
 * whose prefix names the stage that failed (`parser:`, `fetch:`, `value:`...);
 * the prefix and the wording pick the SQLSTATE clients branch on.
 */
import { SqlState } from "@pgwire-ts/protocol"
import { PgError } from "@pgwire-ts/server"

const rules: ReadonlyArray<readonly [RegExp, string]> = [
  [/^parser:/, SqlState.SyntaxError],
  [/^translate: unsupported/, SqlState.FeatureNotSupported],
  [/^translate:/, SqlState.SyntaxError],
  [/table not found|table does not exist/, SqlState.UndefinedTable],
  [/table already exists/, SqlState.DuplicateTable],
  [/column not found|value not found|identifier not found|column does not exist/, SqlState.UndefinedColumn],
  [/unsupported function|function not found/, SqlState.UndefinedFunction],
  [/duplicate entry .* for unique column|primary key/, SqlState.UniqueViolation],
  [/null value on not null field/, SqlState.NotNullViolation],
  [/divisor should not be zero|divide by zero|division by zero/, SqlState.DivisionByZero],
  [/not supported|unimplemented/, SqlState.FeatureNotSupported],
  [/cast failed|failed to parse|incompatible|invalid/, SqlState.InvalidTextRepresentation],
  [/overflow|out of range/, SqlState.NumericValueOutOfRange]
]

export const fromGlueError = (cause: unknown): PgError => {
  const text = typeof cause === "string" ? cause : cause instanceof Error ? cause.message : String(cause)
  const code = rules.find(([pattern]) => pattern.test(text))?.[1] ?? SqlState.InternalError
  // `parser: ParserError("Expected ..., found: SELEC")` → `Expected ..., found: SELEC`.
  const message = text.replace(/^parser: ParserError\(\s*"([\s\S]*)",?\s*\)\s*$/, "$1").trim()
  return PgError.make(code, message)
}
