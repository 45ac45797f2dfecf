import { type FieldDescription, BINARY_FORMAT, TEXT_FORMAT, knownCodecForOid } from "@pgwire-ts/protocol"
import { RowDecoder } from "../results/RowDecoder.js"

/** Result format choice: binary for every column whose type has a binary codec (default), or text for all. */
export type ResultFormat = "binary" | "text"

/** A statement parsed and described on one connection (Parse + Describe). */
export class PreparedStatement {
  /** Per column: binary when our codec reads the type's binary form, else text. */
  readonly binaryFormats: ReadonlyArray<number>
  private decoders: { binary?: RowDecoder; text?: RowDecoder } = {}

  constructor(
    /** The server-side statement name. */
    readonly name: string,
    readonly sql: string,
    /** Parameter type OIDs, as the server resolved them. */
    readonly paramTypes: ReadonlyArray<number>,
    /** Result columns (empty when the statement returns no rows). */
    readonly fields: ReadonlyArray<FieldDescription>
  ) {
    this.binaryFormats = fields.map((f) => (knownCodecForOid(f.typeOid) !== undefined ? BINARY_FORMAT : TEXT_FORMAT))
  }

  /** The Bind result format codes for a choice (one code for all columns when they agree). */
  resultFormats(format: ResultFormat): ReadonlyArray<number> {
    if (format === "text" || this.binaryFormats.every((f) => f === TEXT_FORMAT)) return []
    if (this.binaryFormats.every((f) => f === BINARY_FORMAT)) return [BINARY_FORMAT]
    return this.binaryFormats
  }

  /** The row decoder for a format choice, built once. */
  decoder(format: ResultFormat): RowDecoder {
    return (this.decoders[format] ??= new RowDecoder(this.fields, format === "text" ? [] : this.binaryFormats))
  }
}
