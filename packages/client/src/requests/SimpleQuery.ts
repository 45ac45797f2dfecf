/**
 * A simple Query: one or more statements in one string, each answered with an
 * optional RowDescription, DataRows (text format) and CommandComplete (or
 * EmptyQueryResponse); an error skips the rest of the string. Results are
 * collected per statement or pushed as events to a ResultBuffer.
 *
 * A Query holds the write gate until its ReadyForQuery: if the string runs
 * COPY FROM STDIN, the server reads the next message as copy data, so nothing
 * else may follow it on the wire before our CopyFail.
 */
import {
  type FieldDescription,
  type Writer,
  decodeBackendMessage,
  encodeCopyFail,
  encodeQuery
} from "@pgwire-ts/protocol"
import type { ConnectionCore, PendingRequest } from "../connection/ConnectionCore.js"
import { PgError, type PgQueryError, PgValueError } from "../errors.js"
import { makeQueryResult, parseCommandTag, type QueryResult } from "../results/QueryResult.js"
import type { ResultBuffer } from "../results/ResultBuffer.js"
import { type Row, RowDecoder } from "../results/RowDecoder.js"
import { checkSql } from "./checkSql.js"
import { decodeDataRow } from "./decodeDataRow.js"
import { unexpected } from "./unexpected.js"

/** What `queryStream` emits, in order, for each statement of the string (`statement` counts from 0). */
export type SimpleQueryEvent =
  | { readonly _tag: "Fields"; readonly statement: number; readonly fields: ReadonlyArray<FieldDescription> }
  | { readonly _tag: "Row"; readonly statement: number; readonly row: Row }
  | {
    readonly _tag: "Complete"
    readonly statement: number
    /** The command tag ("" for an empty statement). */
    readonly tag: string
    readonly command: string
    readonly rowCount: number | undefined
  }

export type SimpleQuerySink =
  | { readonly _tag: "Collect"; readonly done: (result: ReadonlyArray<QueryResult> | PgQueryError) => void }
  | { readonly _tag: "Stream"; readonly buffer: ResultBuffer<SimpleQueryEvent, PgQueryError> }

const NO_FIELDS: ReadonlyArray<FieldDescription> = []

export class SimpleQueryRequest implements PendingRequest {
  private decoder: RowDecoder | undefined = undefined
  private rows: Array<Row> = []
  private readonly results: Array<QueryResult> = []
  private statement = 0
  private error: PgQueryError | undefined = undefined
  private finished = false
  abandoned = false

  constructor(
    private readonly conn: ConnectionCore,
    readonly sql: string,
    private readonly sink: SimpleQuerySink
  ) {}

  submit(): void {
    this.conn.submit(this, true)
  }

  write(w: Writer): void {
    checkSql(this.sql)
    encodeQuery(w, { _tag: "Query", sql: this.sql })
  }

  abandon(): void {
    this.abandoned = true
    this.rows = []
    if (this.sink._tag === "Stream") this.sink.buffer.abandon()
  }

  fail(error: PgQueryError): void {
    this.finish(error)
  }

  private finish(error: PgQueryError | undefined): void {
    if (this.finished) return
    this.finished = true
    this.conn.release(this)
    const sink = this.sink
    if (sink._tag === "Collect") sink.done(error ?? this.results)
    else if (error !== undefined) sink.buffer.fail(error)
    else sink.buffer.end()
  }

  private emit(event: SimpleQueryEvent): void {
    if (this.sink._tag === "Stream") this.sink.buffer.push(event)
  }

  private complete(tag: string): void {
    const fields = this.decoder?.fields ?? NO_FIELDS
    if (this.sink._tag === "Collect") {
      this.results.push(makeQueryResult(tag, fields, this.rows))
    } else {
      this.emit({ _tag: "Complete", statement: this.statement, tag, ...parseCommandTag(tag) })
    }
    this.decoder = undefined
    this.rows = []
    this.statement++
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    if (type === 0x44) {
      if (this.error !== undefined || this.abandoned) return false
      const row = decodeDataRow(this.decoder, "Query", buf, start, end)
      if (row instanceof PgValueError) {
        this.error = row
        return false
      }
      if (this.sink._tag === "Collect") this.rows.push(row)
      else this.emit({ _tag: "Row", statement: this.statement, row })
      return false
    }
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "RowDescription":
        this.decoder = new RowDecoder(m.fields)
        this.emit({ _tag: "Fields", statement: this.statement, fields: m.fields })
        return false
      case "CommandComplete":
        this.complete(m.tag)
        return false
      case "EmptyQueryResponse":
        this.complete("")
        return false
      case "ErrorResponse":
        this.error ??= PgError.fromFields(m.fields, this.sql)
        return false
      case "CopyInResponse":
        // COPY FROM STDIN needs copyFrom(): refuse it, the server answers with an error.
        this.conn.writeMore((w) => encodeCopyFail(w, { _tag: "CopyFail", message: "COPY FROM STDIN is only supported through copyFrom()" }))
        return false
      case "CopyOutResponse":
      case "CopyData":
      case "CopyDone":
        return false
      case "ReadyForQuery":
        this.finish(this.error)
        return true
      default:
        throw unexpected(m._tag, "Query")
    }
  }
}
