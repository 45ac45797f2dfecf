import { PgValueError } from "../errors.js"

/**
 * A protocol String ends at its first NUL: SQL containing one would reach the
 * server cut short, so it is refused before anything is sent.
 */
export const checkSql = (sql: string): void => {
  const at = sql.indexOf("\0")
  if (at >= 0) throw new PgValueError({ kind: "parameter", message: `the SQL text contains a NUL character at offset ${at}` })
}
