import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc } from "effect"
import { PgOutput, ProtocolDecodeError, Writer } from "../src/index.js"

type Msg = PgOutput.PgOutputMessage
type Version = PgOutput.ProtocolVersion
const VERSIONS: ReadonlyArray<Version> = [1, 2, 3, 4]

/** The messages that carry an Xid inside a streamed block (protocol.sgml: "only present for streamed transactions"). */
const STREAM_XID_TAGS = new Set<Msg["_tag"]>(["Message", "Relation", "Type", "Insert", "Update", "Delete", "Truncate"])

const arbitraries: Record<Msg["_tag"], fc.Arbitrary<Msg>> = {
  Begin: Arbitrary.make(PgOutput.Begin),
  Message: Arbitrary.make(PgOutput.Message),
  Commit: Arbitrary.make(PgOutput.Commit),
  Origin: Arbitrary.make(PgOutput.Origin),
  Relation: Arbitrary.make(PgOutput.Relation),
  Type: Arbitrary.make(PgOutput.Type),
  Insert: Arbitrary.make(PgOutput.Insert),
  Update: Arbitrary.make(PgOutput.Update),
  Delete: Arbitrary.make(PgOutput.Delete),
  Truncate: Arbitrary.make(PgOutput.Truncate),
  StreamStart: Arbitrary.make(PgOutput.StreamStart),
  StreamStop: Arbitrary.make(PgOutput.StreamStop),
  StreamCommit: Arbitrary.make(PgOutput.StreamCommit),
  StreamAbort: Arbitrary.make(PgOutput.StreamAbort),
  BeginPrepare: Arbitrary.make(PgOutput.BeginPrepare),
  Prepare: Arbitrary.make(PgOutput.Prepare),
  CommitPrepared: Arbitrary.make(PgOutput.CommitPrepared),
  RollbackPrepared: Arbitrary.make(PgOutput.RollbackPrepared),
  StreamPrepare: Arbitrary.make(PgOutput.StreamPrepare)
}

/**
 * Shapes an arbitrary message the way PostgreSQL would send it in that
 * state: an Xid exactly on the stream-scoped messages inside a block (v2+),
 * StreamAbort's parallel fields only from v4.
 */
const shape = (m: Msg, version: Version, inStream: boolean): Msg => {
  if (STREAM_XID_TAGS.has(m._tag)) {
    const { xid, ...rest } = m as Msg & { xid?: number }
    return (inStream && version >= 2 ? { ...rest, xid: xid ?? 4242 } : rest) as Msg
  }
  if (m._tag === "StreamAbort" && version < 4) {
    const { parallel: _, ...rest } = m
    return rest
  }
  return m
}

const encode = (m: Msg): Uint8Array => {
  const w = new Writer(16)
  PgOutput.encodePgOutputMessage(w, m)
  return w.take()
}

/** A decoder of `version` placed inside a stream block when `inStream`. */
const decoderAt = (version: Version, inStream: boolean) => {
  const d = new PgOutput.PgOutputDecoder({ protoVersion: version })
  if (inStream) d.decode(encode({ _tag: "StreamStart", xid: 1, firstSegment: true }))
  expect(d.inStream).toBe(inStream)
  return d
}

const decodeError = (f: () => unknown): ProtocolDecodeError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolDecodeError)
    return e as ProtocolDecodeError
  }
  throw new Error("expected a ProtocolDecodeError, nothing was thrown")
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const text = (s: string) => new Uint8Array(Buffer.from(s))

describe("pgoutput round trips", () => {
  for (const [tag, arb] of Object.entries(arbitraries) as Array<[Msg["_tag"], fc.Arbitrary<Msg>]>) {
    for (const version of VERSIONS) {
      if (version < PgOutput.MIN_PROTOCOL_VERSION[tag]) continue
      // StreamStart and StreamStop change the block state, so each is valid in one state only.
      const states = tag === "StreamStart" ? [false] : tag === "StreamStop" ? [true] : version >= 2 ? [false, true] : [false]
      for (const inStream of states) {
        it(`${tag}, protocol ${version}, ${inStream ? "inside" : "outside"} a stream block`, () => {
          fc.assert(
            fc.property(arb, (raw) => {
              const m = shape(raw, version, inStream)
              const d = decoderAt(version, inStream)
              expect(d.decode(encode(m))).toEqual(m)
            }),
            { numRuns: 60 }
          )
        })
      }
    }
  }

  it("decodes a whole stream of mixed messages with one decoder, for every version", () => {
    const anyMessage = Arbitrary.make(PgOutput.PgOutputMessage)
    fc.assert(
      fc.property(fc.constantFrom(...VERSIONS), fc.array(anyMessage, { maxLength: 30 }), (version, raw) => {
        // Keep the messages the version has and a well-nested block structure.
        const sent: Array<Msg> = []
        let inStream = false
        for (const m of raw) {
          if (version < PgOutput.MIN_PROTOCOL_VERSION[m._tag]) continue
          if (m._tag === "StreamStart" && inStream) continue
          if (m._tag === "StreamStop" && !inStream) continue
          sent.push(shape(m, version, inStream))
          if (m._tag === "StreamStart") inStream = true
          if (m._tag === "StreamStop") inStream = false
        }
        const w = new Writer(64)
        const bounds: Array<[number, number]> = []
        for (const m of sent) {
          const start = w.length
          PgOutput.encodePgOutputMessage(w, m)
          bounds.push([start, w.length])
        }
        const bytes = w.take()
        const d = new PgOutput.PgOutputDecoder({ protoVersion: version })
        expect(bounds.map(([s, e]) => d.decode(bytes, s, e))).toEqual(sent)
        expect(d.inStream).toBe(inStream)
      }),
      { numRuns: 200 }
    )
  })
})

describe("pgoutput wire layout (protocol.sgml, field by field)", () => {
  it("Begin: Int64 final LSN, Int64 commit time, Int32 xid", () => {
    expect(hex(encode({ _tag: "Begin", finalLsn: 0x0102030405060708n, commitTime: -1n, xid: 0xfffffffe }))).toBe(
      "42" + "0102030405060708" + "ffffffffffffffff" + "fffffffe"
    )
  })

  it("Commit and StreamCommit carry an unused flags byte before the LSNs", () => {
    expect(hex(encode({ _tag: "Commit", commitLsn: 1n, endLsn: 2n, commitTime: 3n }))).toBe(
      "43" + "00" + "0000000000000001" + "0000000000000002" + "0000000000000003"
    )
    expect(hex(encode({ _tag: "StreamCommit", xid: 9, commitLsn: 1n, endLsn: 2n, commitTime: 3n }))).toBe(
      "63" + "00000009" + "00" + "0000000000000001" + "0000000000000002" + "0000000000000003"
    )
  })

  it("Insert inside a block: xid, relation OID, 'N', TupleData with every column kind", () => {
    const m: Msg = {
      _tag: "Insert",
      xid: 7,
      relationOid: 16384,
      newTuple: [{ kind: "null" }, { kind: "unchanged" }, { kind: "text", value: text("ab") }, { kind: "binary", value: Uint8Array.of(0xff) }]
    }
    const bytes = encode(m)
    expect(hex(bytes)).toBe(
      "49" + "00000007" + "00004000" + "4e" + "0004" + "6e" + "75" + "74" + "00000002" + "6162" + "62" + "00000001" + "ff"
    )
    expect(decoderAt(2, true).decode(bytes)).toEqual(m)
  })

  it("Update with an old key: 'K' tuple then 'N' tuple; Delete with an old row: 'O' tuple", () => {
    const update: Msg = {
      _tag: "Update",
      relationOid: 1,
      old: { kind: "key", tuple: [{ kind: "text", value: text("1") }] },
      newTuple: [{ kind: "text", value: text("2") }]
    }
    expect(hex(encode(update))).toBe("55" + "00000001" + "4b" + "0001" + "74" + "00000001" + "31" + "4e" + "0001" + "74" + "00000001" + "32")
    const del: Msg = { _tag: "Delete", relationOid: 1, old: { kind: "old", tuple: [{ kind: "null" }] } }
    expect(hex(encode(del))).toBe("44" + "00000001" + "4f" + "0001" + "6e")
  })

  it("Relation: OID, namespace, name, replica identity char, Int16 count, columns (flags, name, type OID, typmod)", () => {
    const m: Msg = {
      _tag: "Relation",
      relationOid: 5,
      namespace: "",
      name: "t",
      replicaIdentity: "index",
      columns: [{ isKey: true, name: "id", typeOid: 23, typeModifier: -1 }]
    }
    expect(hex(encode(m))).toBe("52" + "00000005" + "00" + "7400" + "69" + "0001" + "01" + "696400" + "00000017" + "ffffffff")
  })

  it("Truncate: Int32 count, then the option bits (1 CASCADE, 2 RESTART IDENTITY), then the OIDs", () => {
    const m: Msg = { _tag: "Truncate", cascade: true, restartIdentity: true, relationOids: [10, 11] }
    expect(hex(encode(m))).toBe("54" + "00000002" + "03" + "0000000a" + "0000000b")
  })

  it("Message: flags, LSN, prefix, Int32 content length, content", () => {
    const m: Msg = { _tag: "Message", transactional: true, lsn: 0x10n, prefix: "p", content: text("hi") }
    expect(hex(encode(m))).toBe("4d" + "01" + "0000000000000010" + "7000" + "00000002" + "6869")
  })

  it("StreamAbort: xid and subxact xid, plus abort LSN and time with parallel streaming (v4)", () => {
    const plain: Msg = { _tag: "StreamAbort", xid: 1, subXid: 2 }
    const parallel: Msg = { _tag: "StreamAbort", xid: 1, subXid: 2, parallel: { abortLsn: 3n, abortTime: 4n } }
    expect(hex(encode(plain))).toBe("41" + "00000001" + "00000002")
    expect(hex(encode(parallel))).toBe("41" + "00000001" + "00000002" + "0000000000000003" + "0000000000000004")
    // A v4 stream decodes both (streaming=on and streaming=parallel); before v4 the fields do not exist.
    expect(decoderAt(4, false).decode(encode(plain))).toEqual(plain)
    expect(decoderAt(4, false).decode(encode(parallel))).toEqual(parallel)
    expect(decodeError(() => decoderAt(3, false).decode(encode(parallel))).messageName).toBe("StreamAbort")
  })

  it("the two-phase messages: BeginPrepare has no flags byte, the others do", () => {
    const fields = { prepareLsn: 1n, endLsn: 2n, prepareTime: 3n, xid: 4, gid: "g" }
    const tail = "0000000000000001" + "0000000000000002" + "0000000000000003" + "00000004" + "6700"
    expect(hex(encode({ _tag: "BeginPrepare", ...fields }))).toBe("62" + tail)
    expect(hex(encode({ _tag: "Prepare", ...fields }))).toBe("50" + "00" + tail)
    expect(hex(encode({ _tag: "StreamPrepare", ...fields }))).toBe("70" + "00" + tail)
    expect(hex(encode({ _tag: "CommitPrepared", commitLsn: 1n, endLsn: 2n, commitTime: 3n, xid: 4, gid: "g" }))).toBe(
      "4b" + "00" + tail
    )
    expect(
      hex(
        encode({
          _tag: "RollbackPrepared",
          prepareEndLsn: 1n,
          rollbackEndLsn: 2n,
          prepareTime: 3n,
          rollbackTime: 5n,
          xid: 4,
          gid: "g"
        })
      )
    ).toBe("72" + "00" + "0000000000000001" + "0000000000000002" + "0000000000000003" + "0000000000000005" + "00000004" + "6700")
  })

  it("decodes tuple values as views into the input, not copies", () => {
    const bytes = encode({ _tag: "Insert", relationOid: 1, newTuple: [{ kind: "text", value: text("xyz") }] })
    const m = decoderAt(1, false).decode(bytes)
    if (m._tag !== "Insert" || m.newTuple[0]?.kind !== "text") throw new Error("unexpected decode")
    expect(m.newTuple[0].value.buffer).toBe(bytes.buffer)
    expect(Object.getPrototypeOf(m.newTuple[0].value)).toBe(Uint8Array.prototype)
  })
})

describe("pgoutput bad input", () => {
  const samples: Array<[Version, boolean, Msg]> = [
    [1, false, { _tag: "Begin", finalLsn: 1n, commitTime: 2n, xid: 3 }],
    [1, false, { _tag: "Commit", commitLsn: 1n, endLsn: 2n, commitTime: 3n }],
    [1, false, { _tag: "Origin", originLsn: 1n, name: "o" }],
    [2, true, { _tag: "Message", xid: 1, transactional: false, lsn: 1n, prefix: "p", content: text("c") }],
    [2, true, { _tag: "Relation", xid: 1, relationOid: 1, namespace: "n", name: "r", replicaIdentity: "full", columns: [{ isKey: false, name: "c", typeOid: 25, typeModifier: -1 }] }],
    [1, false, { _tag: "Type", typeOid: 1, namespace: "n", name: "t" }],
    [1, false, { _tag: "Insert", relationOid: 1, newTuple: [{ kind: "text", value: text("v") }, { kind: "null" }] }],
    [1, false, { _tag: "Update", relationOid: 1, old: { kind: "old", tuple: [{ kind: "binary", value: text("o") }] }, newTuple: [{ kind: "unchanged" }] }],
    [1, false, { _tag: "Delete", relationOid: 1, old: { kind: "key", tuple: [{ kind: "text", value: text("k") }] } }],
    [1, false, { _tag: "Truncate", cascade: false, restartIdentity: false, relationOids: [1, 2] }],
    [2, false, { _tag: "StreamStart", xid: 1, firstSegment: false }],
    [2, false, { _tag: "StreamCommit", xid: 1, commitLsn: 1n, endLsn: 2n, commitTime: 3n }],
    [4, false, { _tag: "StreamAbort", xid: 1, subXid: 1, parallel: { abortLsn: 1n, abortTime: 2n } }],
    [3, false, { _tag: "BeginPrepare", prepareLsn: 1n, endLsn: 2n, prepareTime: 3n, xid: 4, gid: "g" }],
    [3, false, { _tag: "Prepare", prepareLsn: 1n, endLsn: 2n, prepareTime: 3n, xid: 4, gid: "g" }],
    [3, false, { _tag: "CommitPrepared", commitLsn: 1n, endLsn: 2n, commitTime: 3n, xid: 4, gid: "g" }],
    [3, false, { _tag: "RollbackPrepared", prepareEndLsn: 1n, rollbackEndLsn: 2n, prepareTime: 3n, rollbackTime: 4n, xid: 5, gid: "g" }],
    [3, false, { _tag: "StreamPrepare", prepareLsn: 1n, endLsn: 2n, prepareTime: 3n, xid: 4, gid: "g" }]
  ]

  it("names the message for every truncation and for trailing bytes, and keeps the decoder's state", () => {
    for (const [version, inStream, m] of samples) {
      const bytes = encode(m)
      const d = decoderAt(version, inStream)
      expect(d.decode(bytes)).toEqual(m)
      if (m._tag === "StreamStart") d.reset()
      for (let n = 1; n < bytes.length; n++) {
        // A StreamAbort cut right after its xids is a valid non-parallel abort.
        if (m._tag === "StreamAbort" && n === 9) continue
        expect(decodeError(() => d.decode(bytes.subarray(0, n))).messageName).toBe(m._tag)
        expect(d.inStream).toBe(inStream)
      }
      const longer = Buffer.concat([bytes, Uint8Array.of(0)])
      expect(decodeError(() => d.decode(longer)).messageName).toBe(m._tag)
    }
  })

  it("rejects a tuple column count that runs past the message", () => {
    // Insert, relation 1, 'N', 5 columns but only one present.
    const bytes = Uint8Array.of(0x49, 0, 0, 0, 1, 0x4e, 0, 5, 0x6e)
    const e = decodeError(() => decoderAt(1, false).decode(bytes))
    expect(e.messageName).toBe("Insert")
    expect(e.reason).toMatch(/count 5 runs past the message/)
    // A column length past the end.
    const long = Uint8Array.of(0x49, 0, 0, 0, 1, 0x4e, 0, 1, 0x74, 0x7f, 0xff, 0xff, 0xff, 0x41)
    expect(decodeError(() => decoderAt(1, false).decode(long)).messageName).toBe("Insert")
    // A negative column length.
    const negative = Uint8Array.of(0x49, 0, 0, 0, 1, 0x4e, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff)
    expect(decodeError(() => decoderAt(1, false).decode(negative)).messageName).toBe("Insert")
  })

  it("rejects an unknown tuple kind, a missing 'N', a bad old-tuple marker and a bad replica identity", () => {
    const kind = decodeError(() => decoderAt(1, false).decode(Uint8Array.of(0x49, 0, 0, 0, 1, 0x4e, 0, 1, 0x78)))
    expect(kind.messageName).toBe("Insert")
    expect(kind.reason).toMatch(/unknown kind byte 0x78/)
    expect(decodeError(() => decoderAt(1, false).decode(Uint8Array.of(0x49, 0, 0, 0, 1, 0x4b, 0, 0))).reason).toMatch(/'N'/)
    expect(decodeError(() => decoderAt(1, false).decode(Uint8Array.of(0x55, 0, 0, 0, 1, 0x58, 0, 0))).messageName).toBe("Update")
    expect(decodeError(() => decoderAt(1, false).decode(Uint8Array.of(0x44, 0, 0, 0, 1, 0x4e, 0, 0))).reason).toMatch(/'K' or 'O'/)
    const relation = encode({ _tag: "Relation", relationOid: 1, namespace: "", name: "r", replicaIdentity: "default", columns: [] })
    relation[7] = 0x7a
    expect(decodeError(() => decoderAt(1, false).decode(relation)).reason).toMatch(/replica identity/)
  })

  it("rejects a Truncate relation count past the message and a Message content length past it", () => {
    const truncate = Uint8Array.of(0x54, 0x10, 0, 0, 0, 0, 0, 0, 0, 1)
    expect(decodeError(() => decoderAt(1, false).decode(truncate)).messageName).toBe("Truncate")
    const message = encode({ _tag: "Message", transactional: true, lsn: 1n, prefix: "p", content: text("abc") })
    message[message.length - 4] = 0x7f
    expect(decodeError(() => decoderAt(1, false).decode(message)).messageName).toBe("Message")
  })

  it("rejects an unknown type byte, an empty message and messages of a later protocol version", () => {
    const d = decoderAt(4, false)
    const unknown = decodeError(() => d.decode(Uint8Array.of(0x5a, 1, 2)))
    expect(unknown.messageName).toBe("pgoutput")
    expect(unknown.reason).toMatch(/unknown message type 0x5a/)
    expect(decodeError(() => d.decode(new Uint8Array(0))).reason).toMatch(/empty/)
    expect(decodeError(() => d.decode(Uint8Array.of(0x42, 0), 0, 40)).reason).toMatch(/outside the input/)
    const v1 = decoderAt(1, false)
    expect(decodeError(() => v1.decode(encode({ _tag: "StreamStart", xid: 1, firstSegment: true }))).reason).toMatch(
      /needs protocol version 2/
    )
    const v2 = decoderAt(2, false)
    expect(decodeError(() => v2.decode(encode({ _tag: "Prepare", prepareLsn: 1n, endLsn: 2n, prepareTime: 3n, xid: 4, gid: "g" }))).messageName).toBe(
      "Prepare"
    )
    expect(() => new PgOutput.PgOutputDecoder({ protoVersion: 5 as Version })).toThrow(ProtocolDecodeError)
  })

  it("rejects a nested StreamStart and a StreamStop outside a block", () => {
    const d = decoderAt(2, true)
    expect(decodeError(() => d.decode(encode({ _tag: "StreamStart", xid: 2, firstSegment: true }))).messageName).toBe("StreamStart")
    expect(d.inStream).toBe(true)
    d.decode(encode({ _tag: "StreamStop" }))
    expect(decodeError(() => d.decode(encode({ _tag: "StreamStop" }))).messageName).toBe("StreamStop")
  })

  it("detects a missing stream Xid as bad input rather than misreading it", () => {
    // An Insert without its Xid inside a block reads the relation OID as the Xid and then fails on 'N'.
    const bytes = encode({ _tag: "Insert", relationOid: 16384, newTuple: [] })
    expect(decodeError(() => decoderAt(2, true).decode(bytes)).messageName).toBe("Insert")
  })

  it("throws only ProtocolDecodeError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.constantFrom(...VERSIONS), fc.boolean(), fc.uint8Array({ maxLength: 80 }), (version, inStream, bytes) => {
        const d = decoderAt(version, inStream && version >= 2)
        try {
          d.decode(bytes)
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolDecodeError)
        }
      }),
      { numRuns: 2000 }
    )
  })
})
