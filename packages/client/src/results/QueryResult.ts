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
  // Scan back over trailing " <digits>" groups (a plain loop: this runs once per query).
  let end = tag.length
  let rowCount: number | undefined
  for (;;) {
    let i = end
    while (i > 0 && tag.charCodeAt(i - 1) >= 48 && tag.charCodeAt(i - 1) <= 57) i--
    if (i === end || i === 0 || tag.charCodeAt(i - 1) !== 32) break
    rowCount ??= Number(tag.slice(i, end))
    end = i - 1
  }
  return { command: end === tag.length ? tag : tag.slice(0, end), rowCount }
}

export const makeQueryResult = (tag: string, fields: ReadonlyArray<FieldDescription>, rows: ReadonlyArray<Row>): QueryResult => {
  const { command, rowCount } = parseCommandTag(tag)
  return { tag, command, rowCount, fields, rows }
}
