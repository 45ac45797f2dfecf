import type { Writer } from "../buffer/Writer.js"
import { COPY_BINARY_SIGNATURE } from "./CopyBinaryParser.js"
import { CopyEncodeError } from "./CopyErrors.js"

/** Appends the binary COPY header: signature, flags 0 (no OIDs), no header extension. */
export const writeCopyBinaryHeader = (w: Writer): void => {
  w.bytes(COPY_BINARY_SIGNATURE).int32(0).int32(0)
}

/** Appends the binary COPY trailer: a field count of -1. */
export const writeCopyBinaryTrailer = (w: Writer): void => {
  w.int16(-1)
}

export const checkBinaryFieldCount = (n: number): void => {
  if (n > 0x7fff) throw new CopyEncodeError({ reason: `${n} fields do not fit binary COPY's int16 field count` })
}

/** Appends one binary COPY tuple: int16 field count, then per field int32 length (-1 for NULL) and bytes. */
export const encodeCopyBinaryRow = (w: Writer, row: ReadonlyArray<Uint8Array | null>): void => {
  checkBinaryFieldCount(row.length)
  w.int16(row.length)
  for (let i = 0; i < row.length; i++) {
    const v = row[i]
    if (v === null || v === undefined) w.int32(-1)
    else w.int32(v.byteLength).bytes(v)
  }
}
