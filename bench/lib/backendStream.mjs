/**
 * The backend byte stream the decode benchmark feeds to both decoders: the
 * answer to a 5-column SELECT of `rows` rows (RowDescription, DataRows,
 * CommandComplete, ReadyForQuery), cut into fixed-size chunks like socket reads.
 */
import { Writer, encodeCommandComplete, encodeDataRow, encodeReadyForQuery, encodeRowDescription } from "@pgwire-ts/protocol"

const INT4 = 23
const TEXT = 25
const TIMESTAMPTZ = 1184
const NUMERIC = 1700

export const COLUMNS = [
  { name: "id", typeOid: INT4, typeSize: 4 },
  { name: "name", typeOid: TEXT, typeSize: -1 },
  { name: "created_at", typeOid: TIMESTAMPTZ, typeSize: 8 },
  { name: "amount", typeOid: NUMERIC, typeSize: -1 },
  { name: "quantity", typeOid: INT4, typeSize: 4 }
]

const enc = new TextEncoder()
const pad2 = (n) => String(n).padStart(2, "0")

/** The text values of row `i`; a NULL now and then (every 13th name, every 29th amount). */
export const rowValues = (i) => {
  const day = 1 + (i % 28)
  const sec = i % 86400
  return [
    String(i + 1),
    i % 13 === 0 ? null : `customer ${(i * 7919) % 100000}`,
    `2024-${pad2(1 + (i % 12))}-${pad2(day)} ${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor(sec / 60) % 60)}:${pad2(sec % 60)}.${String((i * 37) % 1000000).padStart(6, "0")}+00`,
    i % 29 === 0 ? null : `${(i * 31) % 1000000}.${pad2(i % 100)}`,
    String((i * 17) % 500)
  ]
}

/**
 * @returns {{ bytes: Buffer, messages: number, dataRows: number, fieldBytes: number, nulls: number }}
 */
export const buildBackendStream = (rows) => {
  const w = new Writer(1 << 20)
  encodeRowDescription(w, {
    _tag: "RowDescription",
    fields: COLUMNS.map((c, i) => ({
      name: c.name,
      tableOid: 16384,
      columnAttributeNumber: i + 1,
      typeOid: c.typeOid,
      typeSize: c.typeSize,
      typeModifier: -1,
      format: 0
    }))
  })
  let fieldBytes = 0
  let nulls = 0
  for (let i = 0; i < rows; i++) {
    const values = rowValues(i).map((v) => {
      if (v === null) {
        nulls++
        return null
      }
      const b = enc.encode(v)
      fieldBytes += b.byteLength
      return b
    })
    encodeDataRow(w, { _tag: "DataRow", values })
  }
  encodeCommandComplete(w, { _tag: "CommandComplete", tag: `SELECT ${rows}` })
  encodeReadyForQuery(w, { _tag: "ReadyForQuery", status: "I" })
  return { bytes: w.take(), messages: rows + 3, dataRows: rows, fieldBytes, nulls }
}

/** Fresh `chunkSize` Buffers holding a copy of `bytes`, each with its own memory, as a socket hands them out. */
export const chunksOf = (bytes, chunkSize) => {
  const chunks = []
  for (let p = 0; p < bytes.byteLength; p += chunkSize) {
    const end = Math.min(p + chunkSize, bytes.byteLength)
    const c = Buffer.allocUnsafeSlow(end - p)
    bytes.copy(c, 0, p, end)
    chunks.push(c)
  }
  return chunks
}
