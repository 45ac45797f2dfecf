/** Close (statement) + Sync. */
import { type Writer, decodeBackendMessage, encodeClose, encodeSync } from "@pgwire-ts/protocol"
import type { PendingRequest } from "../connection/ConnectionCore.js"
import { PgError, type PgQueryError } from "../errors.js"
import { unexpected } from "./unexpected.js"

export class CloseStatementRequest implements PendingRequest {
  private error: PgQueryError | undefined = undefined

  constructor(
    readonly name: string,
    private readonly done: (result: PgQueryError | undefined) => void
  ) {}

  write(w: Writer): void {
    encodeClose(w, { _tag: "Close", kind: "S", name: this.name })
    encodeSync(w)
  }

  fail(error: PgQueryError): void {
    this.done(error)
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "CloseComplete":
        return false
      case "ErrorResponse":
        this.error = PgError.fromFields(m.fields)
        return false
      case "ReadyForQuery":
        this.done(this.error)
        return true
      default:
        throw unexpected(m._tag, "Close")
    }
  }
}
