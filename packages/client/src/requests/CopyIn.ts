/**
 * COPY ... FROM STDIN through a simple Query. The request holds the write gate
 * from the Query until the caller has sent CopyDone or CopyFail: nothing else
 * may reach the server while it reads copy data.
 *
 * The caller waits for `ready` (CopyInResponse, or the statement's error),
 * sends chunks with `send`, ends with `finish` or `abort`, then waits for the
 * outcome (the COPY row count) in `done`.
 */
import {
  type Writer,
  decodeBackendMessage,
  encodeCopyData,
  encodeCopyDone,
  encodeCopyFail,
  encodeQuery
} from "@pgwire-ts/protocol"
import { Effect } from "effect"
import type { ConnectionCore, PendingRequest } from "../connection/ConnectionCore.js"
import { PgError, type PgQueryError, PgValueError } from "../errors.js"
import { parseCommandTag } from "../results/QueryResult.js"
import { checkSql } from "./checkSql.js"
import { unexpected } from "./unexpected.js"

type Outcome<A> = { readonly _tag: "ok"; readonly value: A } | { readonly _tag: "error"; readonly error: PgQueryError }

/** A one-shot result an Effect can wait for. */
class Latch<A> {
  private outcome: Outcome<A> | undefined = undefined
  private waiter: ((effect: Effect.Effect<A, PgQueryError>) => void) | undefined = undefined

  settle(outcome: Outcome<A>): void {
    if (this.outcome !== undefined) return
    this.outcome = outcome
    const resume = this.waiter
    this.waiter = undefined
    resume?.(this.toEffect(outcome))
  }

  get settled(): boolean {
    return this.outcome !== undefined
  }

  private toEffect(o: Outcome<A>): Effect.Effect<A, PgQueryError> {
    return o._tag === "ok" ? Effect.succeed(o.value) : Effect.fail(o.error)
  }

  readonly await: Effect.Effect<A, PgQueryError> = Effect.suspend(() =>
    this.outcome !== undefined
      ? this.toEffect(this.outcome)
      : Effect.async<A, PgQueryError>((resume) => {
        this.waiter = resume
        return Effect.sync(() => {
          this.waiter = undefined
        })
      })
  )
}

export class CopyInRequest implements PendingRequest {
  private error: PgQueryError | undefined = undefined
  private tag = ""
  private copying = false
  /** CopyDone or CopyFail written (or nothing more may be written). */
  private ended = false
  /** Settles with CopyInResponse, or with the error that came instead. */
  readonly ready = new Latch<void>()
  /** Settles at ReadyForQuery with the row count. */
  readonly done = new Latch<number | undefined>()

  constructor(
    private readonly conn: ConnectionCore,
    readonly sql: string
  ) {}

  submit(): void {
    this.conn.submit(this, true)
  }

  write(w: Writer): void {
    checkSql(this.sql)
    encodeQuery(w, { _tag: "Query", sql: this.sql })
  }

  /** The server's error, once it has refused the data (later chunks would be dropped). */
  get serverError(): PgQueryError | undefined {
    return this.error
  }

  /** Appends one CopyData; waits for the socket when much is queued. */
  send(chunk: Uint8Array): Effect.Effect<void, PgQueryError> {
    if (this.error !== undefined) return Effect.fail(this.error)
    if (this.ended || chunk.byteLength === 0) return Effect.void
    this.conn.writeMore((w) => encodeCopyData(w, { _tag: "CopyData", data: chunk }))
    return this.conn.needsDrain ? this.conn.awaitDrain : Effect.void
  }

  /** All data sent: CopyDone, and the gate goes back. */
  finish(): void {
    this.end((w) => encodeCopyDone(w))
  }

  /** Abandons the COPY with CopyFail (the server answers with an error; nothing is stored). */
  abort(message: string): void {
    this.end((w) => encodeCopyFail(w, { _tag: "CopyFail", message }))
  }

  private end(write: (w: Writer) => void): void {
    if (this.ended) return
    this.ended = true
    if (this.copying && this.error === undefined && this.conn.closed === undefined) this.conn.writeMore(write)
    this.conn.release(this)
  }

  fail(error: PgQueryError): void {
    this.error ??= error
    this.ended = true
    this.conn.release(this)
    this.ready.settle({ _tag: "error", error })
    this.done.settle({ _tag: "error", error })
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "CopyInResponse":
        this.copying = true
        this.ready.settle({ _tag: "ok", value: undefined })
        return false
      case "CommandComplete":
        this.tag = m.tag
        return false
      case "EmptyQueryResponse":
      case "RowDescription":
      case "DataRow":
      case "CopyOutResponse":
      case "CopyData":
      case "CopyDone":
        this.error ??= new PgValueError({ kind: "parameter", message: "copyFrom needs a COPY ... FROM STDIN statement" })
        return false
      case "ErrorResponse":
        this.error ??= PgError.fromFields(m.fields, this.sql)
        // Before CopyInResponse: the statement failed and nothing will be copied.
        this.ready.settle({ _tag: "error", error: this.error })
        return false
      case "ReadyForQuery": {
        if (!this.copying) {
          // Never entered copy mode: the gate can go back now.
          this.ended = true
          this.conn.release(this)
          this.error ??= new PgValueError({ kind: "parameter", message: "copyFrom needs a COPY ... FROM STDIN statement" })
        }
        const error = this.error
        if (error !== undefined) {
          this.ready.settle({ _tag: "error", error })
          this.done.settle({ _tag: "error", error })
        } else {
          this.done.settle({ _tag: "ok", value: parseCommandTag(this.tag).rowCount })
        }
        return true
      }
      default:
        throw unexpected(m._tag, "COPY FROM STDIN")
    }
  }
}
