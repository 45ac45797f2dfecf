import { Stream } from "effect"
import { copyFrom, copyTo } from "../copy/CopyRows.js"
import { copyBoth, copyIn, copyOut, type CopyResult } from "../copy/CopyResult.js"
import type { PgError } from "../errors/PgError.js"
import type { Field } from "./Field.js"

/**
 * How a statement changed the transaction state: the library tracks I/T/E from these.
 * "rollbackToSavepoint" (ROLLBACK TO SAVEPOINT) returns a failed transaction (E) to T.
 */
export type TransactionChange = "begin" | "commit" | "rollback" | "rollbackToSavepoint"

/** Cells already in the wire format of their column (text or binary as the client asked), NULL as null. */
export class EncodedRow {
  readonly _tag = "EncodedRow"
  constructor(readonly cells: ReadonlyArray<Uint8Array | null>) {}
}

/** A row: JS values encoded per column type (null/undefined = NULL), or pre-encoded cells. */
export type Row = ReadonlyArray<unknown> | EncodedRow

/** A statement that returns rows: RowDescription, DataRow*, CommandComplete. */
export interface RowsResult {
  readonly _tag: "Rows"
  readonly fields: ReadonlyArray<Field>
  readonly rows: Stream.Stream<Row, PgError>
  /** CommandComplete tag; default `SELECT <rows sent>`. */
  readonly tag: string | undefined
  readonly transaction: TransactionChange | undefined
}

/** A statement that returns no rows: CommandComplete with its tag ("INSERT 0 3", "CREATE TABLE"). */
export interface CommandResult {
  readonly _tag: "Command"
  readonly tag: string
  readonly transaction: TransactionChange | undefined
}

/** An empty statement: EmptyQueryResponse. */
export interface EmptyResult {
  readonly _tag: "Empty"
}

/** What one statement produced; the COPY variants switch the connection into a copy sub-protocol. */
export type QueryResult = RowsResult | CommandResult | EmptyResult | CopyResult

export interface RowsOptions {
  readonly fields: ReadonlyArray<Field>
  readonly rows: Iterable<Row> | Stream.Stream<Row, PgError>
  readonly tag?: string | undefined
  readonly transaction?: TransactionChange | undefined
}

// Rows given as an Iterable: the server iterates them directly instead of running the Stream (same
// rows, less overhead). The Iterable rides on the Stream made from it, so a copy of the result with
// other rows never takes the wrong path (no WeakMap either: an entry per result burdens the GC).
const ITERABLE = Symbol("pgwire-ts/iterableRows")

/** The Iterable a RowsResult's rows were made from, if they were (internal fast path). */
export const rowsIterable = (r: RowsResult): Iterable<Row> | undefined =>
  (r.rows as { readonly [ITERABLE]?: Iterable<Row> })[ITERABLE]

const isStream = (u: unknown): u is Stream.Stream<Row, PgError> => typeof u === "object" && u !== null && Stream.StreamTypeId in u

export const QueryResult = {
  rows: (options: RowsOptions): QueryResult => {
    const source = options.rows
    let rows: Stream.Stream<Row, PgError>
    if (isStream(source)) {
      rows = source
    } else {
      rows = Stream.fromIterable(source)
      ;(rows as { [ITERABLE]?: Iterable<Row> })[ITERABLE] = source
    }
    return { _tag: "Rows", fields: options.fields, rows, tag: options.tag, transaction: options.transaction }
  },
  command: (tag: string, options?: { readonly transaction?: TransactionChange | undefined }): QueryResult => ({
    _tag: "Command",
    tag,
    transaction: options?.transaction
  }),
  empty: { _tag: "Empty" } as QueryResult,
  /** COPY FROM STDIN, bytes: the handler consumes the CopyData payloads. */
  copyIn: copyIn as (...args: Parameters<typeof copyIn>) => QueryResult,
  /** COPY TO STDOUT, bytes: one CopyData per element. */
  copyOut: copyOut as (...args: Parameters<typeof copyOut>) => QueryResult,
  /** Copy-both (replication): inbound and outbound CopyData streams. */
  copyBoth: copyBoth as (...args: Parameters<typeof copyBoth>) => QueryResult,
  /** COPY FROM STDIN, rows: parsed in the statement's format (text, CSV, binary) and decoded per column type. */
  copyFrom: copyFrom as (...args: Parameters<typeof copyFrom>) => QueryResult,
  /** COPY TO STDOUT, rows: JS values encoded in the statement's format, one CopyData per row. */
  copyTo: copyTo as (...args: Parameters<typeof copyTo>) => QueryResult
} as const
