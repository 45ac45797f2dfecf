/**
 * Many executions before one Sync: Bind + Execute per query (one-shot ones
 * with their own Parse and Describe), then a single Sync. The server runs them
 * in one implicit transaction: the first error skips the rest up to the Sync
 * and rolls back what ran before it.
 */
import {
  type FieldDescription,
  type Writer,
  decodeBackendMessage,
  encodeDescribe,
  encodeExecute,
  encodeParse,
  encodeSync
} from "@pgwire-ts/protocol"
import type { ConnectionCore, PendingRequest } from "../connection/ConnectionCore.js"
import { writeBind } from "../connection/bindParams.js"
import { PgError, type PgQueryError, PgValueError } from "../errors.js"
import { makeQueryResult, type QueryResult } from "../results/QueryResult.js"
import { type Row, RowDecoder } from "../results/RowDecoder.js"
import { checkSql } from "./checkSql.js"
import { decodeDataRow } from "./decodeDataRow.js"
import type { PreparedStatement, ResultFormat } from "./PreparedStatement.js"
import { unexpected } from "./unexpected.js"

export interface PipelineItem {
  readonly sql: string
  /** undefined: one-shot (unnamed statement, text). */
  readonly statement: PreparedStatement | undefined
  readonly params: ReadonlyArray<unknown>
}

const NO_FIELDS: ReadonlyArray<FieldDescription> = []

export class PipelineRequest implements PendingRequest {
  private readonly results: Array<QueryResult> = []
  private index = 0
  private decoder: RowDecoder | undefined
  private rows: Array<Row> = []
  private error: PgQueryError | undefined = undefined
  private finished = false

  constructor(
    private readonly conn: ConnectionCore,
    private readonly items: ReadonlyArray<PipelineItem>,
    private readonly format: ResultFormat,
    private readonly done: (result: ReadonlyArray<QueryResult> | PgQueryError) => void
  ) {
    this.decoder = this.decoderOf(0)
  }

  private decoderOf(i: number): RowDecoder | undefined {
    const st = this.items[i]?.statement
    return st === undefined ? undefined : st.decoder(this.format)
  }

  write(w: Writer): void {
    for (const item of this.items) {
      const st = item.statement
      if (st === undefined) {
        checkSql(item.sql)
        encodeParse(w, { _tag: "Parse", name: "", sql: item.sql, paramTypes: [] })
        writeBind(w, "", "", [], item.params, [])
        encodeDescribe(w, { _tag: "Describe", kind: "P", name: "" })
      } else {
        writeBind(w, "", st.name, st.paramTypes, item.params, st.resultFormats(this.format))
      }
      encodeExecute(w, { _tag: "Execute", portal: "", maxRows: 0 })
    }
    encodeSync(w)
  }

  abandon(): void {
    this.finished = true
    this.rows = []
  }

  fail(error: PgQueryError): void {
    if (this.finished) return
    this.finished = true
    this.done(error)
  }

  private complete(tag: string): void {
    this.results.push(makeQueryResult(tag, this.decoder?.fields ?? NO_FIELDS, this.rows))
    this.rows = []
    this.index++
    this.decoder = this.decoderOf(this.index)
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    if (type === 0x44) {
      if (this.error !== undefined || this.finished) return false
      const row = decodeDataRow(this.decoder, "a pipeline", buf, start, end)
      if (row instanceof PgValueError) this.error = row
      else this.rows.push(row)
      return false
    }
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "ParseComplete":
      case "BindComplete":
      case "CopyOutResponse":
      case "CopyData":
      case "CopyDone":
        return false
      case "RowDescription":
        this.decoder = new RowDecoder(m.fields, [])
        return false
      case "NoData":
        this.decoder = new RowDecoder(NO_FIELDS)
        return false
      case "CommandComplete":
        this.complete(m.tag)
        return false
      case "EmptyQueryResponse":
        this.complete("")
        return false
      case "ErrorResponse":
        this.error ??= PgError.fromFields(m.fields, this.items[this.index]?.sql)
        return false
      case "CopyInResponse":
        // COPY FROM STDIN needs copyFrom(). A later query of ours aborts the copy (the server then
        // skips to our Sync); as the last query, CopyFail + Sync end it.
        if (this.index === this.items.length - 1) this.conn.refuseExtendedCopyIn(this, true)
        return false
      case "ReadyForQuery":
        if (!this.finished) {
          this.finished = true
          this.done(this.error ?? this.results)
        }
        return true
      default:
        throw unexpected(m._tag, "a pipeline")
    }
  }
}
