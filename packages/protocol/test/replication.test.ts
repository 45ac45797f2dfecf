import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Option, Schema } from "effect"
import {
  decodeFromPrimary,
  decodeFromStandby,
  decodeReplicationMessage,
  encodeReplicationMessage,
  encodeStandbyStatusUpdate,
  encodeXLogDataHeader,
  formatLsn,
  HotStandbyFeedback,
  InvalidPgTimestamp,
  LsnFromString,
  parseLsn,
  PG_EPOCH_UNIX_MS,
  PG_TIMESTAMP_INFINITY,
  PG_TIMESTAMP_MINUS_INFINITY,
  pgTimestampFromDate,
  pgTimestampFromUnixMs,
  pgTimestampNow,
  pgTimestampToDate,
  pgTimestampToUnixMs,
  PrimaryKeepalive,
  PrimaryStatusUpdate,
  ProtocolDecodeError,
  type ReplicationMessage,
  RequestPrimaryStatusUpdate,
  StandbyStatusUpdate,
  Writer,
  XLogData
} from "../src/index.js"

const encode = (m: ReplicationMessage): Uint8Array => {
  const w = new Writer(8)
  encodeReplicationMessage(w, m)
  return w.take()
}

/** Runs `f` and returns the ProtocolDecodeError it throws; fails on anything else. */
const decodeError = (f: () => unknown): ProtocolDecodeError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolDecodeError)
    return e as ProtocolDecodeError
  }
  throw new Error("expected a ProtocolDecodeError, nothing was thrown")
}

const fromPrimary: Record<string, fc.Arbitrary<ReplicationMessage>> = {
  XLogData: Arbitrary.make(XLogData),
  PrimaryKeepalive: Arbitrary.make(PrimaryKeepalive),
  PrimaryStatusUpdate: Arbitrary.make(PrimaryStatusUpdate)
}
const fromStandby: Record<string, fc.Arbitrary<ReplicationMessage>> = {
  StandbyStatusUpdate: Arbitrary.make(StandbyStatusUpdate),
  HotStandbyFeedback: Arbitrary.make(HotStandbyFeedback),
  RequestPrimaryStatusUpdate: Arbitrary.make(RequestPrimaryStatusUpdate)
}

describe("streaming replication messages", () => {
  for (const [name, arb] of Object.entries(fromPrimary)) {
    it(`${name} round-trips from the primary`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const bytes = encode(m)
          expect(decodeFromPrimary(bytes)).toEqual(m)
          expect(decodeReplicationMessage(bytes)).toEqual(m)
          // A standby never receives it.
          expect(decodeError(() => decodeFromStandby(bytes)).reason).toMatch(/unknown message type/)
        })
      )
    })
  }

  for (const [name, arb] of Object.entries(fromStandby)) {
    it(`${name} round-trips from the standby`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const bytes = encode(m)
          expect(decodeFromStandby(bytes)).toEqual(m)
          expect(decodeReplicationMessage(bytes)).toEqual(m)
          expect(decodeError(() => decodeFromPrimary(bytes)).reason).toMatch(/unknown message type/)
        })
      )
    })
  }

  it("lays out StandbyStatusUpdate as protocol.sgml says", () => {
    const w = new Writer(8)
    encodeStandbyStatusUpdate(w, {
      writeLsn: 0x0102030405060708n,
      flushLsn: 0x10n,
      applyLsn: 0xffffffffffffffffn,
      sendTime: -2n,
      replyRequested: true
    })
    expect(Buffer.from(w.view()).toString("hex")).toBe(
      "72" + "0102030405060708" + "0000000000000010" + "ffffffffffffffff" + "fffffffffffffffe" + "01"
    )
  })

  it("gives XLogData's data as a view into the payload, and the header alone can be written before it", () => {
    const w = new Writer(8)
    encodeXLogDataHeader(w, 0x16b374d848n, 0x16b374d900n, 123n)
    w.bytes(Uint8Array.of(0x42, 1, 2, 3))
    const bytes = w.take()
    expect(bytes.byteLength).toBe(25 + 4)
    const m = decodeFromPrimary(bytes)
    expect(m).toEqual({
      _tag: "XLogData",
      walStart: 0x16b374d848n,
      walEnd: 0x16b374d900n,
      sendTime: 123n,
      data: Uint8Array.of(0x42, 1, 2, 3)
    })
    if (m._tag !== "XLogData") throw new Error("unreachable")
    expect(m.data.buffer).toBe(bytes.buffer)
    expect(m.data.byteOffset).toBe(bytes.byteOffset + 25)
  })

  it("reads any non-zero reply byte as true, as PostgreSQL does", () => {
    const bytes = encode({ _tag: "PrimaryKeepalive", walEnd: 1n, sendTime: 2n, replyRequested: true })
    bytes[bytes.length - 1] = 7
    expect(decodeFromPrimary(bytes)).toMatchObject({ replyRequested: true })
  })

  it("rejects every truncation and trailing bytes with an error naming the message", () => {
    const samples: Array<ReplicationMessage> = [
      { _tag: "XLogData", walStart: 1n, walEnd: 2n, sendTime: 3n, data: new Uint8Array(0) },
      { _tag: "PrimaryKeepalive", walEnd: 1n, sendTime: 2n, replyRequested: false },
      { _tag: "PrimaryStatusUpdate", writeLsn: 1n, oldestXidInCommit: 2n, nextXid: 3n, sendTime: 4n },
      { _tag: "StandbyStatusUpdate", writeLsn: 1n, flushLsn: 2n, applyLsn: 3n, sendTime: 4n, replyRequested: false },
      { _tag: "HotStandbyFeedback", sendTime: 1n, xmin: 2, xminEpoch: 3, catalogXmin: 4, catalogXminEpoch: 5 },
      { _tag: "RequestPrimaryStatusUpdate", sendTime: 1n }
    ]
    for (const m of samples) {
      const bytes = encode(m)
      for (let n = 1; n < bytes.length; n++) {
        const e = decodeError(() => decodeReplicationMessage(bytes.subarray(0, n)))
        expect(e.messageName).toBe(m._tag)
      }
      if (m._tag !== "XLogData") {
        const longer = Buffer.concat([bytes, Uint8Array.of(0)])
        const e = decodeError(() => decodeReplicationMessage(longer))
        expect(e.messageName).toBe(m._tag)
        expect(e.reason).toMatch(/trailing/)
      }
    }
  })

  it("rejects an empty payload and an unknown type byte", () => {
    expect(decodeError(() => decodeReplicationMessage(new Uint8Array(0))).reason).toMatch(/empty/)
    const e = decodeError(() => decodeFromStandby(Uint8Array.of(0x51, 0, 0)))
    expect(e.messageName).toBe("replication message from standby")
    expect(e.reason).toMatch(/unknown message type 'Q'/)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeReplicationMessage(bytes)
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolDecodeError)
        }
      })
    )
  })
})

describe("LSN text form", () => {
  it("formats as PostgreSQL prints XLogRecPtr (%X/%X)", () => {
    expect(formatLsn(0x16b374d848n)).toBe("16/B374D848")
    expect(formatLsn(0n)).toBe("0/0")
    expect(formatLsn(0x16b3748n)).toBe("0/16B3748")
    expect(formatLsn(0xffffffffffffffffn)).toBe("FFFFFFFF/FFFFFFFF")
  })

  it("parses what it formats, in any case", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (lsn) => {
        const text = formatLsn(lsn)
        expect(parseLsn(text)).toEqual(Option.some(lsn))
        expect(parseLsn(text.toLowerCase())).toEqual(Option.some(lsn))
      })
    )
    // The zero-padded form newer servers print.
    expect(parseLsn("00000016/0B374D84")).toEqual(Option.some(0x160b374d84n))
  })

  it("rejects malformed text", () => {
    for (const bad of ["", "16", "16/", "/1", "1/2/3", "G/0", "123456789/0", "0/123456789", " 0/0", "0/0 ", "-1/0"]) {
      expect(parseLsn(bad)).toEqual(Option.none())
    }
  })

  it("has a Schema from its text form", () => {
    expect(Schema.decodeUnknownSync(LsnFromString)("16/B374D848")).toBe(0x16b374d848n)
    expect(Schema.encodeSync(LsnFromString)(0x16b374d848n)).toBe("16/B374D848")
    expect(Either.isLeft(Schema.decodeUnknownEither(LsnFromString)("nope"))).toBe(true)
  })
})

describe("PostgreSQL timestamps", () => {
  it("count microseconds from 2000-01-01 UTC", () => {
    expect(pgTimestampFromDate(new Date("2000-01-01T00:00:00Z"))).toBe(0n)
    expect(PG_EPOCH_UNIX_MS).toBe(Date.UTC(2000, 0, 1))
    expect(pgTimestampFromDate(new Date("2024-05-06T07:08:09.123Z"))).toBe(768_294_489_123_000n)
    expect(pgTimestampToDate(768_294_489_123_456n).toISOString()).toBe("2024-05-06T07:08:09.123Z")
    expect(pgTimestampToUnixMs(-1n)).toBe(PG_EPOCH_UNIX_MS - 0.001)
    expect(pgTimestampToDate(-1n).toISOString()).toBe("1999-12-31T23:59:59.999Z")
    expect(pgTimestampFromUnixMs(PG_EPOCH_UNIX_MS + 1.5)).toBe(1500n)
  })

  it("round-trip Unix milliseconds and Dates", () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(pgTimestampToUnixMs(pgTimestampFromUnixMs(ms))).toBe(ms)
        expect(pgTimestampToDate(pgTimestampFromDate(new Date(ms))).getTime()).toBe(ms)
      })
    )
  })

  it("map infinities to PostgreSQL's infinity and reject NaN with a typed error", () => {
    expect(pgTimestampFromUnixMs(Infinity)).toBe(PG_TIMESTAMP_INFINITY)
    expect(pgTimestampFromUnixMs(-Infinity)).toBe(PG_TIMESTAMP_MINUS_INFINITY)
    expect(pgTimestampToUnixMs(PG_TIMESTAMP_INFINITY)).toBe(Infinity)
    expect(pgTimestampToUnixMs(PG_TIMESTAMP_MINUS_INFINITY)).toBe(-Infinity)
    expect(() => pgTimestampFromDate(new Date(Number.NaN))).toThrow(InvalidPgTimestamp)
    expect(() => pgTimestampFromUnixMs(1e300)).toThrow(InvalidPgTimestamp)
  })

  it("gives the current time", () => {
    const before = pgTimestampFromUnixMs(Date.now())
    const now = pgTimestampNow()
    expect(now >= before).toBe(true)
  })
})
