/**
 * Encoding: a parameterized query (Bind with 3 text parameters + Execute + Sync)
 * by our encoders into a reused Writer vs pg-protocol's `serialize`, and
 * DataRow (5 columns) by ours alone (pg-protocol has no DataRow encoder).
 *
 * What each produces per query:
 * - pg-protocol: `serialize.bind/execute/sync`, three Buffers (bind is a fresh slice of its
 *   writer; execute without portal/rows and sync are prebuilt constants it hands out again).
 * - ours: Bind + Execute + Sync appended to one reused Writer, then `take()`: one fresh Buffer
 *   holding all three messages, ready for socket.write.
 *   "from strings": the three parameters start as JS strings (as pg-protocol's do) and are
 *   UTF-8 encoded per query (Buffer.from); "bytes ready": they are already Uint8Arrays.
 * - DataRow: rows appended to one reused Writer; every 64 KiB the bytes are taken (copied out)
 *   as a server's outbox hands them to the socket.
 *
 *   "encodeBindText": the protocol's text-parameter Bind, each string written straight into
 *   the Writer (no per-parameter buffer).
 *
 * Every variant runs in its own process (see lib/measure.mjs).
 * Usage: node bench/codec-encode.mjs [--queries N] [--rows N] [--rounds N] [--repeats N]
 */
import {
  BackendMessageStream,
  MessageFramer,
  Writer,
  decodeFrontendMessage,
  encodeBind,
  encodeBindText,
  encodeDataRow,
  encodeExecute,
  encodeSync
} from "@pgwire-ts/protocol"
import { serialize } from "pg-protocol"
import { parseArgs } from "node:util"
import { rowValues } from "./lib/backendStream.mjs"
import { clock, compareIsolated, runRounds } from "./lib/measure.mjs"
import { emitResult, printTable } from "./lib/report.mjs"

const { values: args } = parseArgs({
  options: {
    queries: { type: "string", default: "200000" },
    rows: { type: "string", default: "200000" },
    variant: { type: "string" },
    rounds: { type: "string", default: "10" },
    warmup: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" }
  }
})
const queries = Number(args.queries)
const rows = Number(args.rows)

// --- Bind/Execute/Sync --------------------------------------------------------------

// A typical parameterized query's parameters: an id, a short text, a timestamp; 64 variants.
const paramSets = Array.from({ length: 64 }, (_, i) => [String(1000 + i), `user ${i}@example.com`, `2024-05-${String(1 + (i % 28)).padStart(2, "0")} 12:34:56+00`])
const paramBytes = paramSets.map((set) => set.map((s) => Buffer.from(s, "utf8")))

let sink

const pgSerialize = () => {
  for (let i = 0; i < queries; i++) {
    const values = paramSets[i & 63]
    const b = serialize.bind({ values })
    const e = serialize.execute()
    const s = serialize.sync()
    sink = b.length + e.length + s.length
  }
  return queries
}

const writer = new Writer(64 * 1024)
const execute = { _tag: "Execute", portal: "", maxRows: 0 }
const sync = { _tag: "Sync" }
const noFormats = []

const oursFromStrings = () => {
  const w = writer
  for (let i = 0; i < queries; i++) {
    const values = paramSets[i & 63]
    const params = [Buffer.from(values[0], "utf8"), Buffer.from(values[1], "utf8"), Buffer.from(values[2], "utf8")]
    encodeBind(w, { _tag: "Bind", portal: "", statement: "", paramFormats: noFormats, params, resultFormats: noFormats })
    encodeExecute(w, execute)
    encodeSync(w, sync)
    sink = w.take()
  }
  return queries
}

const oursBytesReady = () => {
  const w = writer
  for (let i = 0; i < queries; i++) {
    encodeBind(w, { _tag: "Bind", portal: "", statement: "", paramFormats: noFormats, params: paramBytes[i & 63], resultFormats: noFormats })
    encodeExecute(w, execute)
    encodeSync(w, sync)
    sink = w.take()
  }
  return queries
}

// What a Bind encoder taking text parameters could do: write each string
// straight into the Writer (as the server's RowEncoder does for DataRow), with
// no per-parameter buffer. Built from public Writer calls only.
const writeTextBind = (w, values) => {
  const at = w.beginMessage(0x42)
  w.int8(0) // unnamed portal
  w.int8(0) // unnamed statement
  w.int16(0) // no parameter format codes: all text
  w.int16(values.length)
  for (let k = 0; k < values.length; k++) {
    const v = values[k]
    if (v === null) {
      w.int32(-1)
    } else {
      const lenAt = w.reserveInt32()
      w.string(v)
      w.patchInt32(lenAt, w.length - lenAt - 4)
    }
  }
  w.int16(0) // no result format codes: all text
  w.endMessage(at)
}

const oursTextBindSketch = () => {
  const w = writer
  for (let i = 0; i < queries; i++) {
    writeTextBind(w, paramSets[i & 63])
    encodeExecute(w, execute)
    encodeSync(w, sync)
    sink = w.take()
  }
  return queries
}

// The protocol's text fast path: the same Bind as the sketch, from a public function.
const oursBindText = () => {
  const w = writer
  for (let i = 0; i < queries; i++) {
    encodeBindText(w, "", "", paramSets[i & 63], noFormats)
    encodeExecute(w, execute)
    encodeSync(w, sync)
    sink = w.take()
  }
  return queries
}

// --- DataRow ----------------------------------------------------------------------------

const enc = new TextEncoder()
const rowTexts = Array.from({ length: 1024 }, (_, i) => rowValues(i))
const rowCells = rowTexts.map((values) => values.map((v) => (v === null ? null : enc.encode(v))))
const FLUSH_AT = 64 * 1024
let bytesOut = 0

const oursDataRow = () => {
  const w = writer
  w.reset()
  let out = 0
  for (let i = 0; i < rows; i++) {
    encodeDataRow(w, { _tag: "DataRow", values: rowCells[i & 1023] })
    if (w.length >= FLUSH_AT) {
      out += w.length
      sink = w.take()
    }
  }
  out += w.length
  sink = w.take()
  bytesOut = out
  return rows
}

// The same rows from JS strings, written straight into the Writer (no per-cell buffer).
const oursDataRowFromStrings = () => {
  const w = writer
  w.reset()
  for (let i = 0; i < rows; i++) {
    writeTextRow(w, rowTexts[i & 1023])
    if (w.length >= FLUSH_AT) sink = w.take()
  }
  sink = w.take()
  return rows
}

// Before timing: both encoders' Bind/Execute/Sync decode to the same messages, and
// the string-written DataRows equal the codec's and decode back to the texts.
const decodeFrontend = (bytes) => {
  const f = new MessageFramer()
  f.push(bytes)
  const out = []
  while (f.next()) out.push(decodeFrontendMessage(f.type, f.buffer, f.start, f.end))
  return out
}

const writeTextRow = (w, values) => {
  const at = w.beginMessage(0x44)
  w.int16(values.length)
  for (let k = 0; k < values.length; k++) {
    const v = values[k]
    if (v === null) {
      w.int32(-1)
    } else {
      const lenAt = w.reserveInt32()
      w.string(v)
      w.patchInt32(lenAt, w.length - lenAt - 4)
    }
  }
  w.endMessage(at)
}

const verify = () => {
  const w = new Writer()
  const texts = (m) => JSON.stringify(m.params.map((p) => (p === null ? null : Buffer.from(p).toString("utf8"))))
  for (let i = 0; i < 64; i++) {
    encodeBind(w, { _tag: "Bind", portal: "", statement: "", paramFormats: noFormats, params: paramBytes[i], resultFormats: noFormats })
    encodeExecute(w, execute)
    encodeSync(w, sync)
    const ours = w.take()
    writeTextBind(w, paramSets[i])
    encodeExecute(w, execute)
    encodeSync(w, sync)
    if (!w.take().equals(ours)) throw new Error(`query ${i}: the Writer-built Bind differs from encodeBind's`)
    encodeBindText(w, "", "", paramSets[i], noFormats)
    encodeExecute(w, execute)
    encodeSync(w, sync)
    if (!w.take().equals(ours)) throw new Error(`query ${i}: encodeBindText's Bind differs from encodeBind's`)
    const a = decodeFrontend(ours)
    const b = decodeFrontend(Buffer.concat([serialize.bind({ values: paramSets[i] }), serialize.execute(), serialize.sync()]))
    const tags = (ms) => ms.map((m) => m._tag).join(",")
    if (tags(a) !== "Bind,Execute,Sync" || tags(b) !== tags(a) || texts(a[0]) !== texts(b[0]) || texts(a[0]) !== JSON.stringify(paramSets[i])) {
      throw new Error(`query ${i}: ours ${tags(a)} ${texts(a[0])}, pg-protocol ${tags(b)} ${texts(b[0])}`)
    }
  }
  const viaCodec = new Writer()
  const viaStrings = new Writer()
  for (let i = 0; i < 1024; i++) {
    encodeDataRow(viaCodec, { _tag: "DataRow", values: rowCells[i] })
    writeTextRow(viaStrings, rowTexts[i])
  }
  if (!viaCodec.view().equals(viaStrings.view())) throw new Error("DataRows written from strings differ from encodeDataRow's")
  const s = new BackendMessageStream()
  s.push(viaCodec.take())
  for (let i = 0; i < 1024; i++) {
    const m = s.next()
    const got = m.values.map((v) => (v === null ? null : Buffer.from(v).toString("utf8")))
    if (JSON.stringify(got) !== JSON.stringify(rowTexts[i])) throw new Error(`DataRow ${i} does not round-trip`)
  }
}
const variants = { pgSerialize, oursFromStrings, oursBytesReady, oursTextBindSketch, oursBindText, oursDataRow, oursDataRowFromStrings }

if (args.variant !== undefined) {
  const fn = variants[args.variant]
  if (fn === undefined) throw new Error(`unknown variant ${args.variant}`)
  runRounds(fn, { warmup: Number(args.warmup), rounds: Number(args.rounds) })
} else {
  verify()
  const forward = ["--queries", args.queries, "--rows", args.rows, "--rounds", args.rounds, "--warmup", args.warmup]
  const repeats = Number(args.repeats)
  const bind = await compareIsolated(import.meta.url, ["pgSerialize", "oursFromStrings", "oursBytesReady", "oursTextBindSketch", "oursBindText"], { repeats, args: forward })
  const dataRow = await compareIsolated(import.meta.url, ["oursDataRow", "oursDataRowFromStrings"], { repeats, args: forward })
  // Bytes of one round of DataRows, for MB/s.
  oursDataRow()
  const rowBytes = bytesOut

  const peer = bind.pgSerialize.opsPerSec
  const out = [
    {
      name: "encode Bind+Execute+Sync, 3 params from strings",
      unit: "query/s",
      ours: bind.oursFromStrings.opsPerSec,
      peer,
      peerName: "pg-protocol serialize",
      note: "ours UTF-8 encodes the params (Buffer.from) and takes one Buffer per query; pg-protocol returns 3 Buffers (2 prebuilt)"
    },
    {
      name: "encode Bind+Execute+Sync, 3 params as bytes",
      unit: "query/s",
      ours: bind.oursBytesReady.opsPerSec,
      peer,
      peerName: "pg-protocol serialize (strings)",
      note: "ours with the params already Uint8Arrays (binary-format or cached parameters)"
    },
    {
      name: "encode Bind+Execute+Sync, text params via Writer",
      unit: "query/s",
      ours: bind.oursTextBindSketch.opsPerSec,
      peer,
      peerName: "pg-protocol serialize",
      note: "a sketch, not a protocol API: Bind written from the param strings with public Writer calls (no per-param buffer)"
    },
    {
      name: "encode Bind+Execute+Sync, 3 params via encodeBindText",
      unit: "query/s",
      ours: bind.oursBindText.opsPerSec,
      peer,
      peerName: "pg-protocol serialize",
      note: "the protocol's text fast path: each param string's UTF-8 written straight into the Writer, length patched"
    },
    { name: "encode DataRow, 5 cells as bytes", unit: "row/s", ours: dataRow.oursDataRow.opsPerSec, peerName: "none (pg-protocol has no DataRow encoder)" },
    { name: "encode DataRow, 5 cells as bytes", unit: "MB/s", ours: (rowBytes / 1e6) * (1000 / dataRow.oursDataRow.medianMs), peerName: "none" },
    {
      name: "encode DataRow, 5 cells from strings",
      unit: "row/s",
      ours: dataRow.oursDataRowFromStrings.opsPerSec,
      peerName: "none",
      note: "Writer.string straight into the message, as the server's RowEncoder does for text"
    },
    { name: "encode DataRow, 5 cells from strings", unit: "MB/s", ours: (rowBytes / 1e6) * (1000 / dataRow.oursDataRowFromStrings.medianMs), peerName: "none" }
  ]

  process.stdout.write(
    `encode: ${queries.toLocaleString("en-US")} queries and ${rows.toLocaleString("en-US")} DataRows (${(rowBytes / rows).toFixed(1)} bytes each) per round; ` +
      `${clock.name} time, median of ${args.repeats} processes x ${args.rounds} rounds after ${args.warmup} warm-up each\n`
  )
  for (const [name, r] of Object.entries({ ...bind, ...dataRow })) {
    process.stdout.write(`  ${name.padEnd(22)} median ${r.medianMs.toFixed(1)} ms  (min ${Math.min(...r.roundsMs).toFixed(1)}, max ${Math.max(...r.roundsMs).toFixed(1)})\n`)
  }
  printTable("Protocol encode", out)
  emitResult(out)
}
