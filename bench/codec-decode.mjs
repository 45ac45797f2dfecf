/**
 * Decoding a backend stream: RowDescription + 100,000 five-column DataRows +
 * CommandComplete + ReadyForQuery, fed in 64 KiB chunks, by our
 * BackendMessageStream and by node-postgres's pg-protocol Parser.
 *
 * What each materializes per message:
 * - pg-protocol: a message object; for DataRow an array with one JS string per field.
 * - ours (views): a message object; for DataRow an array with one Uint8Array view per field
 *   (no copy, no string) — what our client hands to the type codecs.
 * - ours + strings: the same, then every non-null field turned into a JS string (TextDecoder),
 *   collected into an array per row: the same end product as pg-protocol.
 * - ours, text fast path: the framer, then `decodeDataRowText` for each DataRow (a string
 *   per field read straight from the chunk, no view) and the general decoder for the rest:
 *   what a client does with a text-format result. The same output as pg-protocol.
 * - "after a kept result": the same, in a process that first decoded one whole result and
 *   kept every message (as a client that collects a result does), which is when V8 may
 *   pretenure a decoder's allocations.
 *
 * Every variant runs in its own process (see lib/measure.mjs).
 * Usage: node bench/codec-decode.mjs [--rows N] [--rounds N] [--repeats N]
 */
import { BackendMessageStream, MessageFramer, decodeBackendMessage, decodeDataRowText } from "@pgwire-ts/protocol"
import { Parser } from "pg-protocol/dist/parser.js"
import { parseArgs } from "node:util"
import { buildBackendStream, chunksOf } from "./lib/backendStream.mjs"
import { clock, compareIsolated, runRounds } from "./lib/measure.mjs"
import { emitResult, printTable } from "./lib/report.mjs"

const { values: args } = parseArgs({
  options: {
    variant: { type: "string" },
    rows: { type: "string", default: "100000" },
    rounds: { type: "string", default: "10" },
    warmup: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    chunk: { type: "string", default: String(64 * 1024) }
  }
})
const rows = Number(args.rows)
const chunkSize = Number(args.chunk)

const stream = buildBackendStream(rows)
const textDecoder = new TextDecoder()

// Each round gets freshly allocated chunks, as a socket hands out: pg-protocol may
// write into a chunk it was given (it compacts a partial message into it).
let chunks = []
const prepare = () => {
  chunks = chunksOf(stream.bytes, chunkSize)
}

// Keeps the last message observable so no work can be optimized away.
let sink

const pgProtocol = () => {
  const parser = new Parser()
  let n = 0
  const onMessage = (m) => {
    sink = m
    n++
  }
  for (let i = 0; i < chunks.length; i++) parser.parse(chunks[i], onMessage)
  return n
}

const oursViews = () => {
  const s = new BackendMessageStream()
  let n = 0
  for (let i = 0; i < chunks.length; i++) {
    s.push(chunks[i])
    let m
    while ((m = s.next()) !== undefined) {
      sink = m
      n++
    }
  }
  return n
}

const toStrings = (values) => {
  const out = new Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    out[i] = v === null ? null : textDecoder.decode(v)
  }
  return out
}

const oursStrings = () => {
  const s = new BackendMessageStream()
  let n = 0
  for (let i = 0; i < chunks.length; i++) {
    s.push(chunks[i])
    let m
    while ((m = s.next()) !== undefined) {
      sink = m._tag === "DataRow" ? toStrings(m.values) : m
      n++
    }
  }
  return n
}

const DATA_ROW = 0x44

const oursTextFastPath = () => {
  const f = new MessageFramer()
  let n = 0
  for (let i = 0; i < chunks.length; i++) {
    f.push(chunks[i])
    while (f.next()) {
      sink = f.type === DATA_ROW ? decodeDataRowText(f.buffer, f.start, f.end) : decodeBackendMessage(f.type, f.buffer, f.start, f.end)
      n++
    }
  }
  return n
}

// Before timing: both decoders must agree on every message and every field.
const verify = () => {
  const ours = []
  const s = new BackendMessageStream()
  for (const c of chunksOf(stream.bytes, chunkSize)) {
    s.push(c)
    let m
    while ((m = s.next()) !== undefined) ours.push(m)
  }
  const theirs = []
  const p = new Parser()
  for (const c of chunksOf(stream.bytes, chunkSize)) p.parse(c, (m) => theirs.push(m))
  if (ours.length !== stream.messages || theirs.length !== stream.messages) {
    throw new Error(`message counts: ours ${ours.length}, pg-protocol ${theirs.length}, expected ${stream.messages}`)
  }
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]
    const b = theirs[i]
    if (a._tag === "DataRow") {
      const fields = toStrings(a.values)
      if (b.name !== "dataRow" || fields.length !== b.fields.length || fields.some((f, k) => f !== b.fields[k])) {
        throw new Error(`message ${i}: ours ${JSON.stringify(fields)}, pg-protocol ${JSON.stringify(b.fields)}`)
      }
    }
  }
  const fast = []
  const f = new MessageFramer()
  for (const c of chunksOf(stream.bytes, chunkSize)) {
    f.push(c)
    while (f.next()) fast.push(f.type === DATA_ROW ? decodeDataRowText(f.buffer, f.start, f.end) : null)
  }
  for (let i = 0; i < theirs.length; i++) {
    if (theirs[i].name !== "dataRow") continue
    if (JSON.stringify(fast[i]) !== JSON.stringify(theirs[i].fields)) throw new Error(`message ${i}: text fast path ${JSON.stringify(fast[i])}, pg-protocol ${JSON.stringify(theirs[i].fields)}`)
  }
  const last = ours[ours.length - 1]
  if (last._tag !== "ReadyForQuery" || theirs[theirs.length - 1].name !== "readyForQuery") throw new Error("stream does not end with ReadyForQuery")
}
// Decodes one whole result and keeps every message until the process ends.
const kept = []
const keepOneResult = (decode) => {
  prepare()
  decode((m) => kept.push(m))
}

const variants = {
  pgProtocol: { run: pgProtocol },
  oursViews: { run: oursViews },
  oursStrings: { run: oursStrings },
  oursTextFastPath: { run: oursTextFastPath },
  pgProtocolAfterKeep: {
    run: pgProtocol,
    before: () => keepOneResult((keep) => {
      const p = new Parser()
      for (const c of chunks) p.parse(c, keep)
    })
  },
  oursViewsAfterKeep: {
    run: oursViews,
    before: () => keepOneResult((keep) => {
      const s = new BackendMessageStream()
      for (const c of chunks) {
        s.push(c)
        let m
        while ((m = s.next()) !== undefined) keep(m)
      }
    })
  }
}

if (args.variant !== undefined) {
  const v = variants[args.variant]
  if (v === undefined) throw new Error(`unknown variant ${args.variant}`)
  v.before?.()
  runRounds(v.run, { warmup: Number(args.warmup), rounds: Number(args.rounds), prepare })
} else {
  verify()
  const results = await compareIsolated(import.meta.url, Object.keys(variants), {
    repeats: Number(args.repeats),
    args: ["--rows", args.rows, "--rounds", args.rounds, "--warmup", args.warmup, "--chunk", args.chunk]
  })
  const mb = stream.bytes.byteLength / 1e6
  const peerName = "pg-protocol Parser (strings)"
  const rowsOut = [
    {
      name: "decode DataRow stream, fields as views",
      unit: "msg/s",
      ours: results.oursViews.opsPerSec,
      peer: results.pgProtocol.opsPerSec,
      peerName,
      note: "ours yields a Uint8Array view per field, pg-protocol a string per field"
    },
    {
      name: "decode DataRow stream, fields as strings",
      unit: "msg/s",
      ours: results.oursStrings.opsPerSec,
      peer: results.pgProtocol.opsPerSec,
      peerName,
      note: "ours + TextDecoder per non-null field into a string array: the same output as pg-protocol"
    },
    {
      name: "decode DataRow stream, strings via text fast path",
      unit: "msg/s",
      ours: results.oursTextFastPath.opsPerSec,
      peer: results.pgProtocol.opsPerSec,
      peerName,
      note: "decodeDataRowText: a string per field straight from the chunk (one Latin-1 slice per ASCII row): the same output as pg-protocol"
    },
    {
      name: "decode, fields as views, after a kept result",
      unit: "msg/s",
      ours: results.oursViewsAfterKeep.opsPerSec,
      peer: results.pgProtocolAfterKeep.opsPerSec,
      peerName,
      note: "both in a process that first kept every message of one whole result"
    },
    {
      name: "decode throughput, fields as views",
      unit: "MB/s",
      ours: (mb * 1000) / results.oursViews.medianMs,
      peer: (mb * 1000) / results.pgProtocol.medianMs,
      peerName
    }
  ]
  process.stdout.write(
    `decode: ${rows.toLocaleString("en-US")} DataRows x 5 columns (${stream.nulls} NULLs), ` +
      `${(stream.bytes.byteLength / 1024 / 1024).toFixed(1)} MiB in ${Math.ceil(stream.bytes.byteLength / chunkSize)} chunks of ${chunkSize} bytes; ` +
      `${clock.name} time, median of ${args.repeats} processes x ${args.rounds} rounds after ${args.warmup} warm-up each\n`
  )
  for (const [name, r] of Object.entries(results)) {
    process.stdout.write(`  ${name.padEnd(20)} median ${r.medianMs.toFixed(1)} ms  (min ${Math.min(...r.roundsMs).toFixed(1)}, max ${Math.max(...r.roundsMs).toFixed(1)})\n`)
  }
  printTable("Protocol decode", rowsOut)
  emitResult(rowsOut)
}
