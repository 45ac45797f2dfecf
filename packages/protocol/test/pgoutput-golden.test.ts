/**
 * Decodes the logical replication streams captured from a real PostgreSQL 15
 * by pg_recvlogical (see scripts/capture-golden.mjs, scenario "replication"):
 * every CopyData payload in both directions, every pgoutput message, and
 * checks them against the SQL that produced them.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import {
  decodeFromPrimary,
  decodeFromStandby,
  formatLsn,
  MessageFramer,
  PgOutput,
  pgTimestampToDate,
  type ReplicationFromPrimary,
  type ReplicationFromStandby
} from "../src/index.js"

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden")
const manifest = JSON.parse(fs.readFileSync(path.join(GOLDEN, "manifest.json"), "utf8")) as {
  scenarios: { replication: { endpos: { v1: string; v2: string }; streamRows: number } }
}

const COPY_DATA = 0x64 // 'd'
const COPY_BOTH_RESPONSE = 0x57 // 'W'

/** The CopyData payloads of one direction of a capture, after CopyBothResponse on the backend side. */
const copyData = (file: string, untypedFirst: boolean): Array<Uint8Array> => {
  const framer = new MessageFramer({ untypedFirst })
  framer.push(fs.readFileSync(path.join(GOLDEN, file)))
  const out: Array<Uint8Array> = []
  let copyBoth = untypedFirst // the frontend's CopyData only ever happens in CopyBoth
  while (framer.next()) {
    if (framer.type === COPY_BOTH_RESPONSE) copyBoth = true
    if (framer.type === COPY_DATA && copyBoth) out.push(framer.buffer.subarray(framer.start, framer.end))
  }
  return out
}

interface Decoded {
  readonly primary: Array<ReplicationFromPrimary>
  readonly pgoutput: Array<PgOutput.PgOutputMessage>
  readonly standby: Array<ReplicationFromStandby>
}

const decodeCapture = (name: string, protoVersion: PgOutput.ProtocolVersion): Decoded => {
  const decoder = new PgOutput.PgOutputDecoder({ protoVersion })
  const primary = copyData(`${name}.be.bin`, false).map(decodeFromPrimary)
  const pgoutput = primary.flatMap((m) => (m._tag === "XLogData" ? [decoder.decode(m.data)] : []))
  expect(decoder.inStream).toBe(false)
  const standby = copyData(`${name}.fe.bin`, true).map(decodeFromStandby)
  return { primary, pgoutput, standby }
}

const str = (b: Uint8Array) => Buffer.from(b).toString("utf8")
/** A tuple as strings (text values), null and "<unchanged>". */
const row = (t: PgOutput.TupleData) =>
  t.map((c) => (c.kind === "null" ? null : c.kind === "unchanged" ? "<unchanged>" : str(c.value)))

const only = <T extends PgOutput.PgOutputMessage["_tag"]>(all: ReadonlyArray<PgOutput.PgOutputMessage>, tag: T) =>
  all.filter((m): m is Extract<PgOutput.PgOutputMessage, { _tag: T }> => m._tag === tag)

describe("golden PostgreSQL 15 pgoutput captures", () => {
  it("protocol 1: every message of the v1 scenario, as the SQL wrote it", () => {
    const { pgoutput, primary, standby } = decodeCapture("replication-pgoutput", 1)
    expect(primary.some((m) => m._tag === "PrimaryKeepalive")).toBe(true)

    // Seven committed transactions plus the TRUNCATE one; Begin's final LSN is Commit's commit LSN.
    const begins = only(pgoutput, "Begin")
    const commits = only(pgoutput, "Commit")
    expect(begins.length).toBe(8)
    expect(commits.map((c) => c.commitLsn)).toEqual(begins.map((b) => b.finalLsn))
    for (const c of commits) expect(c.endLsn > c.commitLsn).toBe(true)
    // The stream ends at the endpos pg_recvlogical was given.
    expect(formatLsn(commits.at(-1)!.endLsn)).toBe(manifest.scenarios.replication.endpos.v1)

    // The enum type is described before the relation that uses it.
    const type = only(pgoutput, "Type")[0]!
    expect(type).toMatchObject({ namespace: "public", name: "golden_mood" })
    const relations = only(pgoutput, "Relation")
    const items = relations.find((r) => r.name === "repl_items")!
    expect(pgoutput.indexOf(type)).toBeLessThan(pgoutput.indexOf(items))
    expect(items).toMatchObject({ namespace: "public", replicaIdentity: "default" })
    expect(items.columns).toEqual([
      { isKey: true, name: "id", typeOid: 23, typeModifier: -1 },
      { isKey: false, name: "name", typeOid: 25, typeModifier: -1 },
      { isKey: false, name: "qty", typeOid: 20, typeModifier: -1 },
      { isKey: false, name: "mood", typeOid: type.typeOid, typeModifier: -1 },
      { isKey: false, name: "note", typeOid: 25, typeModifier: -1 }
    ])
    const full = relations.find((r) => r.name === "repl_full")!
    expect(full.replicaIdentity).toBe("full")
    expect(full.columns.map((c) => [c.name, c.typeOid, c.isKey])).toEqual([["k", 25, true], ["v", 1700, true]])
    // No Xid outside streamed transactions.
    for (const m of pgoutput) if (m._tag !== "Begin") expect(m).not.toHaveProperty("xid")

    const inserts = only(pgoutput, "Insert")
    expect(inserts.filter((i) => i.relationOid === items.relationOid).map((i) => row(i.newTuple).slice(0, 4))).toEqual([
      ["1", "one", "10", "happy"],
      ["2", "two", "20", "ok"],
      ["3", "three", "30", "sad"],
      ["4", "from origin", "40", null],
      ["5", "with message", "50", "ok"]
    ])
    expect(row(inserts[0]!.newTuple)[4]).toBeNull()
    expect(row(inserts[2]!.newTuple)[4]).toHaveLength(3200)

    const updates = only(pgoutput, "Update")
    // qty + 1: no old values; id 2 -> 20: the old key; the TOASTed note left alone: unchanged.
    expect(updates[0]).not.toHaveProperty("old")
    expect(row(updates[0]!.newTuple)).toEqual(["1", "one", "11", "happy", null])
    expect(updates[1]!.old?.kind).toBe("key")
    expect(row(updates[1]!.old!.tuple)).toEqual(["2", null, null, null, null])
    expect(row(updates[1]!.newTuple)[0]).toBe("20")
    expect(row(updates[2]!.newTuple)).toEqual(["3", "three", "31", "sad", "<unchanged>"])
    // REPLICA IDENTITY FULL sends the whole old row.
    expect(updates[3]).toMatchObject({ relationOid: full.relationOid, old: { kind: "old" } })
    expect(row(updates[3]!.old!.tuple)).toEqual(["a", "1.5"])
    expect(row(updates[3]!.newTuple)).toEqual(["a", "2.5"])

    const deletes = only(pgoutput, "Delete")
    expect(deletes.map((d) => [d.old.kind, row(d.old.tuple)])).toEqual([
      ["key", ["1", null, null, null, null]],
      ["old", ["b", null]]
    ])

    // pg_replication_origin_xact_setup('0/ABCDEF', '2024-01-02 03:04:05+00'): the origin, and its time as the commit time.
    const origin = only(pgoutput, "Origin")[0]!
    expect(origin).toEqual({ _tag: "Origin", originLsn: 0xabcdefn, name: "golden_origin" })
    const originBegin = pgoutput[pgoutput.indexOf(origin) - 1]
    expect(originBegin?._tag).toBe("Begin")
    expect(pgTimestampToDate((originBegin as PgOutput.Begin).commitTime).toISOString()).toBe("2024-01-02T03:04:05.000Z")

    const messages = only(pgoutput, "Message")
    expect(messages.map((m) => [m.transactional, m.prefix, str(m.content)])).toEqual([
      [true, "golden_prefix", "transactional message"],
      [false, "golden_prefix", "non-transactional message"]
    ])

    expect(only(pgoutput, "Truncate")).toEqual([
      { _tag: "Truncate", cascade: false, restartIdentity: true, relationOids: [items.relationOid, full.relationOid] }
    ])

    // pg_recvlogical's feedback: StandbyStatusUpdate, finally acknowledging the end of the stream.
    expect(standby.length).toBeGreaterThan(0)
    for (const m of standby) expect(m._tag).toBe("StandbyStatusUpdate")
    const last = standby.at(-1)!
    expect(last._tag === "StandbyStatusUpdate" && formatLsn(last.flushLsn)).toBe(manifest.scenarios.replication.endpos.v1)
  })

  it("protocol 2 with streaming=on: streamed blocks with Xids, a stream commit and a stream abort", () => {
    const { pgoutput } = decodeCapture("replication-pgoutput-v2", 2)
    const rows = manifest.scenarios.replication.streamRows

    const starts = only(pgoutput, "StreamStart")
    expect(starts.length).toBe(only(pgoutput, "StreamStop").length)
    const [committedXid, abortedXid] = [...new Set(starts.map((s) => s.xid))]
    expect(committedXid).toBeDefined()
    expect(abortedXid).toBeDefined()
    // The first block of each transaction says so.
    for (const xid of [committedXid, abortedXid]) {
      expect(starts.filter((s) => s.xid === xid).map((s) => s.firstSegment)[0]).toBe(true)
      expect(starts.filter((s) => s.xid === xid).slice(1).every((s) => !s.firstSegment)).toBe(true)
    }

    // Every change inside a block carries its transaction's Xid; none outside does.
    let block: number | undefined
    for (const m of pgoutput) {
      if (m._tag === "StreamStart") block = m.xid
      else if (m._tag === "StreamStop") block = undefined
      else if (m._tag === "Relation" || m._tag === "Insert") expect(m.xid).toBe(block)
    }

    const inserts = only(pgoutput, "Insert")
    const committed = inserts.filter((i) => i.xid === committedXid).map((i) => row(i.newTuple))
    expect(committed).toEqual(Array.from({ length: rows }, (_, k) => [String(k + 1), `streamed ${k + 1}`]))
    const aborted = inserts.filter((i) => i.xid === abortedXid).map((i) => row(i.newTuple))
    expect(aborted.length).toBeGreaterThan(0)
    expect(aborted.length).toBeLessThanOrEqual(rows)
    aborted.forEach((r, k) => expect(r).toEqual([String(rows + k + 1), `aborted ${rows + k + 1}`]))

    expect(only(pgoutput, "StreamCommit").map((c) => c.xid)).toEqual([committedXid])
    expect(only(pgoutput, "StreamAbort")).toEqual([{ _tag: "StreamAbort", xid: abortedXid, subXid: abortedXid }])

    // The small transaction after them is not streamed.
    const small = inserts.filter((i) => i.xid === undefined).map((i) => row(i.newTuple))
    expect(small).toEqual([["-1", "small"]])
    const tail = pgoutput.slice(-3).map((m) => m._tag)
    expect(tail).toEqual(["Begin", "Insert", "Commit"])
  })
})
