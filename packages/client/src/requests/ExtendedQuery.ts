/**
 * One execution through the extended protocol.
 *
 * - A prepared statement: Bind (binary parameters where the type has a codec,
 *   result formats per column) + Execute + Sync.
 * - One-shot (no statement): Parse of the unnamed statement with untyped
 *   parameters + Bind (text) + Describe portal + Execute + Sync, all in one write.
 * - Portal batches (`batchSize` > 0): Execute with that row limit + Flush; each
 *   PortalSuspended waits until the consumer wants more, then the next Execute.
 *   The request holds the connection's write gate until it writes its Sync, as
 *   the unnamed portal lives only until then.
 *
 * Rows are collected (`onDone` gets a QueryResult) or pushed to a ResultBuffer.
 */
import {
  type FieldDescription,
  type Writer,
  decodeBackendMessage,
  encodeCopyFail,
  encodeDescribe,
  encodeExecute,
  encodeFlush,
  encodeParse,
  encodeSync
} from "@pgwire-ts/protocol"
import type { ConnectionCore, PendingRequest } from "../connection/ConnectionCore.js"
import { writeBind } from "../connection/bindParams.js"
import { PgError, type PgQueryError, PgValueError } from "../errors.js"
import { makeQueryResult, type QueryResult } from "../results/QueryResult.js"
import type { ResultBuffer } from "../results/ResultBuffer.js"
import { type Row, RowDecoder } from "../results/RowDecoder.js"
import type { PreparedStatement, ResultFormat } from "./PreparedStatement.js"
import { checkSql } from "./checkSql.js"
import { decodeDataRow } from "./decodeDataRow.js"
import { unexpected } from "./unexpected.js"

const NO_FIELDS: ReadonlyArray<FieldDescription> = []

export type ExtendedQuerySink =
  | { readonly _tag: "Collect"; readonly done: (result: QueryResult | PgQueryError) => void }
  | { readonly _tag: "Stream"; readonly buffer: ResultBuffer<Row, PgQueryError> }

export class ExtendedQueryRequest implements PendingRequest {
  private decoder: RowDecoder | undefined
  private rows: Array<Row> = []
  private tag = ""
  private error: PgQueryError | undefined = undefined
  /** Batch mode: the Sync is written (the gate released). */
  private synced: boolean
  /** Batch mode: an Execute is out and its PortalSuspended/CommandComplete not yet seen. */
  private executing = false
  private abandoned = false
  private finished = false

  constructor(
    private readonly conn: ConnectionCore,
    readonly sql: string,
    private readonly statement: PreparedStatement | undefined,
    private readonly params: ReadonlyArray<unknown>,
    private readonly format: ResultFormat,
    private readonly batchSize: number,
    private readonly sink: ExtendedQuerySink
  ) {
    this.decoder = statement?.decoder(statement === undefined ? "text" : format)
    this.synced = batchSize <= 0
  }

  /** Writes the first messages; with batches, the request holds the write gate. */
  submit(): void {
    this.executing = true
    this.conn.submit(this, this.batchSize > 0)
  }

  write(w: Writer): void {
    const st = this.statement
    if (st === undefined) {
      checkSql(this.sql)
      encodeParse(w, { _tag: "Parse", name: "", sql: this.sql, paramTypes: [] })
      writeBind(w, "", "", [], this.params, [])
      encodeDescribe(w, { _tag: "Describe", kind: "P", name: "" })
    } else {
      writeBind(w, "", st.name, st.paramTypes, this.params, st.resultFormats(this.format))
    }
    encodeExecute(w, { _tag: "Execute", portal: "", maxRows: this.batchSize > 0 ? this.batchSize : 0 })
    if (this.batchSize > 0) encodeFlush(w)
    else encodeSync(w)
  }

  /** Batch mode: the consumer wants more rows. */
  fetchMore(): void {
    if (this.synced || this.executing || this.abandoned || this.conn.closed !== undefined) return
    this.executing = true
    const maxRows = this.batchSize
    this.conn.writeMore((w) => {
      encodeExecute(w, { _tag: "Execute", portal: "", maxRows })
      encodeFlush(w)
    })
  }

  /** The consumer went away: rows are dropped, and an idle portal is closed with Sync. */
  abandon(): void {
    if (this.abandoned) return
    this.abandoned = true
    this.rows = []
    if (this.sink._tag === "Stream") this.sink.buffer.abandon()
    if (!this.synced && !this.executing) this.sync()
  }

  private sync(): void {
    if (this.synced) return
    this.synced = true
    this.conn.writeMore(encodeSync)
    this.conn.release(this)
  }

  fail(error: PgQueryError): void {
    this.finish(error)
  }

  private finish(error: PgQueryError | undefined): void {
    if (this.finished) return
    this.finished = true
    const sink = this.sink
    if (sink._tag === "Collect") {
      sink.done(error ?? makeQueryResult(this.tag, this.decoder?.fields ?? NO_FIELDS, this.rows))
    } else if (error !== undefined) {
      sink.buffer.fail(error)
    } else {
      sink.buffer.end()
    }
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    // DataRow first: the one message that matters for speed.
    if (type === 0x44) {
      if (this.error !== undefined || this.abandoned) return false
      const row = decodeDataRow(this.decoder, "Execute", buf, start, end)
      if (row instanceof PgValueError) {
        this.error = row
        return false
      }
      if (this.sink._tag === "Collect") this.rows.push(row)
      else this.sink.buffer.push(row)
      return false
    }
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "ParseComplete":
      case "BindComplete":
        return false
      case "RowDescription":
        // One-shot: everything was asked for in text.
        this.decoder = new RowDecoder(m.fields, [])
        return false
      case "NoData":
        this.decoder = new RowDecoder(NO_FIELDS)
        return false
      case "PortalSuspended":
        this.executing = false
        if (this.abandoned || this.error !== undefined) this.sync()
        else if (this.sink._tag === "Stream" && this.sink.buffer.waiting && this.sink.buffer.size === 0) this.fetchMore()
        return false
      case "CommandComplete":
        this.tag = m.tag
        this.executing = false
        this.sync()
        return false
      case "EmptyQueryResponse":
        this.executing = false
        this.sync()
        return false
      case "ErrorResponse":
        this.error ??= PgError.fromFields(m.fields, this.sql)
        this.executing = false
        this.sync()
        return false
      case "CopyInResponse":
        // COPY FROM STDIN needs copyFrom(). With batches we hold the gate and our Sync is still to come;
        // otherwise the server ignored our Sync in copy mode and needs another after CopyFail.
        if (this.synced) this.conn.refuseExtendedCopyIn(this, true)
        else this.conn.writeMore((w) => encodeCopyFail(w, { _tag: "CopyFail", message: "COPY FROM STDIN is only supported through copyFrom()" }))
        return false
      case "CopyOutResponse":
      case "CopyData":
      case "CopyDone":
        return false
      case "ReadyForQuery":
        this.finish(this.error)
        return true
      default:
        throw unexpected(m._tag, "Execute")
    }
  }
}
