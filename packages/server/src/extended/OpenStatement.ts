import type { FieldDescription } from "@pgwire-ts/protocol"
import type { PreparedStatement } from "../handlers/PortalStore.js"
import type { ParsedStatement } from "../handlers/QueryParser.js"
import { fieldDescription } from "../results/Field.js"
import { type FormatCode, RowEncoder } from "../results/RowEncoder.js"

const formatKey = (formats: ReadonlyArray<FormatCode>): string => formats.join("")

/**
 * A prepared statement with what its executions reuse: one RowEncoder and
 * one RowDescription per combination of result formats (a driver uses one or
 * two), so a repeated Bind/Execute builds neither.
 */
export class OpenStatement implements PreparedStatement {
  private lastFormats: ReadonlyArray<FormatCode> | undefined
  private lastEncoder: RowEncoder | undefined
  private encoders: Map<string, RowEncoder> | undefined
  private descriptions: Map<string, ReadonlyArray<FieldDescription>> | undefined

  constructor(
    readonly name: string,
    readonly sql: string,
    readonly parsed: ParsedStatement
  ) {}

  /** The DataRow encoder for these per-column formats (the statement has fields). */
  encoderFor(formats: ReadonlyArray<FormatCode>): RowEncoder {
    if (formats === this.lastFormats) return this.lastEncoder!
    const key = formatKey(formats)
    this.encoders ??= new Map()
    let encoder = this.encoders.get(key)
    if (encoder === undefined) {
      encoder = new RowEncoder(this.parsed.fields ?? [], formats)
      if (this.encoders.size < 16) this.encoders.set(key, encoder)
    }
    this.lastFormats = formats
    this.lastEncoder = encoder
    return encoder
  }

  /** RowDescription's fields with these per-column formats (all 0 for Describe of the statement). */
  describeFields(formats: ReadonlyArray<FormatCode>): ReadonlyArray<FieldDescription> {
    const fields = this.parsed.fields ?? []
    const key = formatKey(formats)
    this.descriptions ??= new Map()
    let description = this.descriptions.get(key)
    if (description === undefined) {
      description = fields.map((f, i) => fieldDescription(f, formats[i] ?? 0))
      if (this.descriptions.size < 16) this.descriptions.set(key, description)
    }
    return description
  }
}
