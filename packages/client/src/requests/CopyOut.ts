/**
 * COPY ... TO STDOUT through a simple Query: CopyOutResponse, CopyData chunks
 * (pushed to a ResultBuffer as they arrive, so a slow consumer pauses the
 * socket), CopyDone, CommandComplete, ReadyForQuery. Holds the write gate
 * until ReadyForQuery, like every simple Query.
 */
import { type Writer, decodeBackendMessage, encodeCopyFail, encodeQuery } from "@pgwire-ts/protocol"
import type { ConnectionCore, PendingRequest } from "../connection/ConnectionCore.js"
import { PgError, type PgQueryError, PgValueError } from "../errors.js"
import type { ResultBuffer } from "../results/ResultBuffer.js"
import { checkSql } from "./checkSql.js"
import { unexpected } from "./unexpected.js"

export class CopyOutRequest implements PendingRequest {
  private error: PgQueryError | undefined = undefined
  private finished = false

  constructor(
    private readonly conn: ConnectionCore,
    readonly sql: string,
    private readonly buffer: ResultBuffer<Uint8Array, PgQueryError>
  ) {}

  submit(): void {
    this.conn.submit(this, true)
  }

  write(w: Writer): void {
    checkSql(this.sql)
    encodeQuery(w, { _tag: "Query", sql: this.sql })
  }

  abandon(): void {
    this.buffer.abandon()
  }

  fail(error: PgQueryError): void {
    if (this.finished) return
    this.finished = true
    this.conn.release(this)
    this.buffer.fail(error)
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    if (type === 0x64) {
      // CopyData: the body is the data; a view into the received chunk, never rewritten.
      if (this.error === undefined) this.buffer.push(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start))
      return false
    }
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "CopyOutResponse":
      case "CopyDone":
      case "CommandComplete":
      case "EmptyQueryResponse":
        return false
      case "RowDescription":
      case "DataRow":
        this.error ??= new PgValueError({ kind: "result", message: "copyTo needs a COPY ... TO STDOUT statement; this one returns rows" })
        return false
      case "CopyInResponse":
        this.error ??= new PgValueError({ kind: "result", message: "copyTo needs a COPY ... TO STDOUT statement, not FROM STDIN" })
        this.conn.writeMore((w) => encodeCopyFail(w, { _tag: "CopyFail", message: "copyTo() cannot feed COPY FROM STDIN" }))
        return false
      case "ErrorResponse":
        this.error ??= PgError.fromFields(m.fields, this.sql)
        return false
      case "ReadyForQuery":
        if (this.error !== undefined) {
          this.fail(this.error)
        } else if (!this.finished) {
          this.finished = true
          this.conn.release(this)
          this.buffer.end()
        }
        return true
      default:
        throw unexpected(m._tag, "COPY TO STDOUT")
    }
  }
}
