import type { FieldDescription } from "@pgwire-ts/protocol"
import type { Row } from "./RowDecoder.js"

/** The outcome of one statement. */
export interface QueryResult {
  /** The CommandComplete tag as sent ("SELECT 3", "INSERT 0 1", "CREATE TABLE"); "" for an empty query. */
  readonly tag: string
  /** The tag without its counts ("SELECT", "INSERT", "CREATE TABLE"). */
  readonly command: string
  /** Rows affected or returned, when the tag carries a count. */
  readonly rowCount: number | undefined
  /** The result columns; empty for a statement that returns no rows. */
  readonly fields: ReadonlyArray<FieldDescription>
  readonly rows: ReadonlyArray<Row>
}

/** Splits a command tag into the command and its row count (the last number; INSERT's OID is skipped). */
export const parseCommandTag = (tag: string): { readonly command: string; readonly rowCount: number | undefined } => {
  const m = /^(.*?)((?: \d+)+)$/.exec(tag)
  if (m === null) return { command: tag, rowCount: undefined }
  const numbers = m[2]!.trim().split(" ")
  return { command: m[1]!, rowCount: Number(numbers[numbers.length - 1]) }
}

export const makeQueryResult = (tag: string, fields: ReadonlyArray<FieldDescription>, rows: ReadonlyArray<Row>): QueryResult => {
  const { command, rowCount } = parseCommandTag(tag)
  return { tag, command, rowCount, fields, rows }
}
