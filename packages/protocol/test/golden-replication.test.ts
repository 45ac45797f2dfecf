// The logical replication captures one level down: every CopyData payload of the CopyBoth
// phase decodes as a streaming replication message and re-encodes to the same bytes, and so
// does every pgoutput message inside XLogData. (What the pgoutput messages say is checked in
// pgoutput-golden.test.ts.)
import { describe, expect, it } from "@effect/vitest"
import {
  type BackendMessage,
  decodeFromPrimary,
  decodeFromStandby,
  encodeReplicationMessage,
  type FrontendMessage,
  PgOutput,
  type ReplicationMessage,
  Writer
} from "../src/index.js"
import { decodeCapture, loadCapture } from "./golden/captures.js"

const bytesOf = (encode: (w: Writer) => void): Buffer => {
  const w = new Writer(256)
  encode(w)
  return w.take()
}

// CopyData payloads after the CopyBothResponse that START_REPLICATION answers.
const copyBothPayloads = <M extends FrontendMessage | BackendMessage>(messages: ReadonlyArray<M>, startAt: number): Array<Uint8Array> =>
  messages.slice(startAt).flatMap((m) => (m._tag === "CopyData" ? [m.data] : []))

describe.each([
  ["replication-pgoutput", 1, "'1', \"publication_names\" 'p', \"messages\" 'true'"],
  ["replication-pgoutput-v2", 2, "'2', \"publication_names\" 'p2', \"streaming\" 'on'"]
] as const)("%s", (name, protoVersion, options) => {
  const { fe, be } = decodeCapture(loadCapture(name))
  const startQuery = fe.findIndex((m) => m._tag === "Query" && m.sql.startsWith("START_REPLICATION"))
  const copyBoth = be.findIndex((m) => m._tag === "CopyBothResponse")
  const fromPrimary = copyBothPayloads(be, copyBoth).map(decodeFromPrimary)
  const fromStandby = copyBothPayloads(fe, startQuery).map(decodeFromStandby)

  it("START_REPLICATION opens CopyBoth; both sides end it with CopyDone", () => {
    const query = fe[startQuery] as Extract<FrontendMessage, { _tag: "Query" }>
    const slot = protoVersion === 1 ? "golden_slot" : "golden_slot_v2"
    expect(query.sql).toBe(`START_REPLICATION SLOT "${slot}" LOGICAL 0/0 ("proto_version" ${options})`)
    expect(be[copyBoth]).toEqual({ _tag: "CopyBothResponse", format: 0, columnFormats: [] })
    expect(fe.slice(-2)).toEqual([{ _tag: "CopyDone" }, { _tag: "Terminate" }])
    const afterCopy = be.slice(be.findIndex((m, i) => i > copyBoth && m._tag === "CopyDone"))
    // PostgreSQL's walsender may still send a keepalive after its own CopyDone (the v2 capture
    // has one): a client must take CopyData until CommandComplete, not stop at CopyDone.
    const late = afterCopy.filter((m) => m._tag === "CopyData")
    for (const m of late) expect(decodeFromPrimary(m.data)._tag).toBe("PrimaryKeepalive")
    expect(afterCopy.filter((m) => m._tag !== "CopyData")).toEqual([
      { _tag: "CopyDone" },
      { _tag: "CommandComplete", tag: "COPY 0" },
      { _tag: "CommandComplete", tag: "START_REPLICATION" },
      { _tag: "ReadyForQuery", status: "I" }
    ])
  })

  it("every payload from the primary is XLogData or PrimaryKeepalive and re-encodes exactly", () => {
    const payloads = copyBothPayloads(be, copyBoth)
    expect(new Set(fromPrimary.map((m) => m._tag))).toEqual(new Set(["XLogData", "PrimaryKeepalive"]))
    fromPrimary.forEach((m, i) => {
      expect(bytesOf((w) => encodeReplicationMessage(w, m as ReplicationMessage))).toEqual(Buffer.from(payloads[i]!))
    })
  })

  it("every payload from pg_recvlogical is a StandbyStatusUpdate that re-encodes exactly", () => {
    const payloads = copyBothPayloads(fe, startQuery)
    expect(fromStandby.length).toBeGreaterThan(0)
    fromStandby.forEach((m, i) => {
      expect(m._tag).toBe("StandbyStatusUpdate")
      expect(bytesOf((w) => encodeReplicationMessage(w, m as ReplicationMessage))).toEqual(Buffer.from(payloads[i]!))
    })
  })

  it("every pgoutput message re-encodes to its XLogData bytes", () => {
    const decoder = new PgOutput.PgOutputDecoder({ protoVersion })
    let count = 0
    for (const m of fromPrimary) {
      if (m._tag !== "XLogData") continue
      const message = decoder.decode(m.data)
      expect(bytesOf((w) => PgOutput.encodePgOutputMessage(w, message)), message._tag).toEqual(Buffer.from(m.data))
      count++
    }
    expect(decoder.inStream).toBe(false)
    // v1: the 39 messages of REPL_CHANGES_V1; v2: 600 streamed + up to 600 aborted inserts and more.
    if (protoVersion === 1) expect(count).toBe(39)
    else expect(count).toBeGreaterThan(1000)
  })

  it("XLogData headers: walStart = walEnd (0 for Relation and Type), the last keepalive reports the end", () => {
    const data = fromPrimary.filter((m): m is Extract<typeof m, { _tag: "XLogData" }> => m._tag === "XLogData")
    const lastWal = data.reduce((max, m) => (m.walEnd > max ? m.walEnd : max), 0n)
    const keepalives = fromPrimary.filter((m): m is Extract<typeof m, { _tag: "PrimaryKeepalive" }> => m._tag === "PrimaryKeepalive")
    expect(keepalives.at(-1)!.walEnd).toBeGreaterThanOrEqual(lastWal)
    // A message with a WAL position carries walStart = walEnd; Relation and Type messages carry 0.
    for (const m of data) {
      if (m.walStart !== 0n) expect(m.walEnd).toBe(m.walStart)
      expect(m.sendTime).toBeGreaterThan(0n)
    }
  })
})
