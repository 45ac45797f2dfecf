/** Parse + Describe (statement) + Sync: a named statement with its parameter and result types. */
import {
  type FieldDescription,
  type Writer,
  decodeBackendMessage,
  encodeDescribe,
  encodeParse,
  encodeSync
} from "@pgwire-ts/protocol"
import type { PendingRequest } from "../connection/ConnectionCore.js"
import { PgError, type PgQueryError } from "../errors.js"
import { PreparedStatement } from "./PreparedStatement.js"
import { checkSql } from "./checkSql.js"
import { unexpected } from "./unexpected.js"

export class PrepareRequest implements PendingRequest {
  private paramTypes: ReadonlyArray<number> = []
  private fields: ReadonlyArray<FieldDescription> = []
  private error: PgQueryError | undefined = undefined

  constructor(
    readonly name: string,
    readonly sql: string,
    readonly declaredTypes: ReadonlyArray<number>,
    private readonly done: (result: PreparedStatement | PgQueryError) => void
  ) {}

  write(w: Writer): void {
    checkSql(this.sql)
    encodeParse(w, { _tag: "Parse", name: this.name, sql: this.sql, paramTypes: this.declaredTypes })
    encodeDescribe(w, { _tag: "Describe", kind: "S", name: this.name })
    encodeSync(w)
  }

  fail(error: PgQueryError): void {
    this.done(error)
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "ParseComplete":
      case "NoData":
        return false
      case "ParameterDescription":
        this.paramTypes = m.typeOids
        return false
      case "RowDescription":
        this.fields = m.fields
        return false
      case "ErrorResponse":
        this.error = PgError.fromFields(m.fields, this.sql)
        return false
      case "ReadyForQuery":
        this.done(this.error ?? new PreparedStatement(this.name, this.sql, this.paramTypes, this.fields))
        return true
      default:
        throw unexpected(m._tag, "Prepare")
    }
  }
}
