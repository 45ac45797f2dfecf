import { EncodedRow, QueryResult, type RowsOptions } from "./QueryResult.js"
import { field } from "./Field.js"

/** Builders for row results: fields, rows, pre-encoded rows. */
export const ResultSet = {
  field,
  make: (options: RowsOptions): QueryResult => QueryResult.rows(options),
  encoded: (cells: ReadonlyArray<Uint8Array | null>): EncodedRow => new EncodedRow(cells)
} as const
