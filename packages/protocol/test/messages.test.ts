import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import {
  type AuthContext,
  BackendMessage,
  BackendMessageStream,
  decodeBackendMessage,
  decodeFrontendMessage,
  encodeBackendMessage,
  encodeFrontendMessage,
  encodeToBytes,
  FrontendMessage,
  FrontendMessageStream,
  MessageFramer,
  Writer
} from "../src/index.js"

type AnyMessage = FrontendMessage | BackendMessage
type Member = Schema.Schema<AnyMessage>

const tagOf = (s: Schema.Schema.Any): string => {
  const ast = (s.ast as unknown as { propertySignatures: ReadonlyArray<{ name: PropertyKey; type: { literal: string } }> })
    .propertySignatures
  return ast.find((p) => p.name === "_tag")!.type.literal
}

const frontendMembers = FrontendMessage.members as unknown as ReadonlyArray<Member>
const backendMembers = BackendMessage.members as unknown as ReadonlyArray<Member>

const untypedTags = new Set(["StartupMessage", "SSLRequest", "GSSENCRequest", "CancelRequest"])

/** The auth phase under which a 'p' message decodes as `tag`. */
const authContextFor = (tag: string): AuthContext =>
  tag === "SASLInitialResponse" ? "sasl-initial" : tag === "SASLResponse" ? "sasl" : tag === "GSSResponse" ? "gss" : "password"

const encodeFrontend = (m: FrontendMessage): Uint8Array => {
  const w = new Writer(16)
  encodeFrontendMessage(w, m)
  return w.take()
}

const encodeBackend = (m: BackendMessage): Uint8Array => {
  const w = new Writer(16)
  encodeBackendMessage(w, m)
  return w.take()
}

/** Frames exactly one message from `bytes` and returns what the framer yields. */
const frameOne = (bytes: Uint8Array, untyped: boolean) => {
  const f = new MessageFramer({ untypedFirst: untyped })
  f.push(bytes)
  expect(f.next()).toBe(true)
  const frame = { type: f.type, buffer: f.buffer, start: f.start, end: f.end }
  expect(f.next()).toBe(false)
  expect(f.buffered).toBe(0)
  return frame
}

/** Splits `bytes` at sorted random cut points. */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let prev = 0
  for (const p of points) {
    out.push(bytes.subarray(prev, p))
    prev = p
  }
  out.push(bytes.subarray(prev))
  return out
}

const NUM_RUNS = 60

describe("every frontend message round-trips through decodeFrontendMessage", () => {
  for (const schema of frontendMembers) {
    const tag = tagOf(schema)
    it(tag, () => {
      fc.assert(
        fc.property(Arbitrary.make(schema) as fc.Arbitrary<FrontendMessage>, (m) => {
          const bytes = encodeFrontend(m)
          const { type, buffer, start, end } = frameOne(bytes, untypedTags.has(tag))
          const decoded = decodeFrontendMessage(type, buffer, start, end, authContextFor(tag))
          expect(decoded).toEqual(m)
          expect(decoded._tag).toBe(tag)
          expect(Schema.is(schema)(decoded)).toBe(true)
          // Same bytes as the per-message encoder and as encodeToBytes.
          expect(Buffer.from(encodeToBytes(m)).equals(Buffer.from(bytes))).toBe(true)
        }),
        { numRuns: NUM_RUNS }
      )
    })
  }
})

describe("every backend message round-trips through decodeBackendMessage", () => {
  for (const schema of backendMembers) {
    const tag = tagOf(schema)
    it(tag, () => {
      fc.assert(
        fc.property(Arbitrary.make(schema) as fc.Arbitrary<BackendMessage>, (m) => {
          const bytes = encodeBackend(m)
          const { type, buffer, start, end } = frameOne(bytes, false)
          const decoded = decodeBackendMessage(type, buffer, start, end)
          expect(decoded).toEqual(m)
          expect(decoded._tag).toBe(tag)
          expect(Schema.is(schema)(decoded)).toBe(true)
        }),
        { numRuns: NUM_RUNS }
      )
    })
  }
})

const typedFrontend = fc.oneof(
  ...frontendMembers.filter((s) => !untypedTags.has(tagOf(s))).map((s) => Arbitrary.make(s) as fc.Arbitrary<FrontendMessage>)
)
const untypedFrontend = (tags: ReadonlyArray<string>) =>
  fc.oneof(...frontendMembers.filter((s) => tags.includes(tagOf(s))).map((s) => Arbitrary.make(s) as fc.Arbitrary<FrontendMessage>))
const anyBackend = fc.oneof(...backendMembers.map((s) => Arbitrary.make(s) as fc.Arbitrary<BackendMessage>))
const cutPoints = fc.array(fc.nat(), { maxLength: 12 })

describe("stream decoders", () => {
  it("BackendMessageStream decodes a message sequence split at random points", () => {
    fc.assert(
      fc.property(fc.array(anyBackend, { minLength: 1, maxLength: 12 }), cutPoints, (messages, cuts) => {
        const bytes = encodeToBytes(...messages)
        const stream = new BackendMessageStream()
        const got: Array<BackendMessage> = []
        for (const chunk of splitAt(bytes, cuts)) {
          stream.push(chunk)
          for (let m = stream.next(); m !== undefined; m = stream.next()) got.push(m)
        }
        expect(got).toEqual(messages)
        expect(stream.buffered).toBe(0)
      }),
      { numRuns: 200 }
    )
  })

  it("FrontendMessageStream decodes an untyped opening, then typed messages, split at random points", () => {
    const opening = fc.oneof(
      untypedFrontend(["StartupMessage", "CancelRequest"]).map((m) => [m]),
      fc.tuple(untypedFrontend(["SSLRequest", "GSSENCRequest"]), untypedFrontend(["StartupMessage"]))
    )
    fc.assert(
      fc.property(opening, fc.array(typedFrontend, { maxLength: 12 }), cutPoints, (first, rest, cuts) => {
        const messages: Array<FrontendMessage> = [...first, ...rest]
        const bytes = encodeToBytes(...messages)
        const stream = new FrontendMessageStream()
        const got: Array<FrontendMessage> = []
        for (const chunk of splitAt(bytes, cuts)) {
          stream.push(chunk)
          for (;;) {
            const expected = messages[got.length]
            if (expected !== undefined) stream.authContext = authContextFor(expected._tag)
            const m = stream.next()
            if (m === undefined) break
            got.push(m)
            if (m._tag === "SSLRequest" || m._tag === "GSSENCRequest") stream.expectUntyped()
          }
        }
        expect(got).toEqual(messages)
        expect(stream.buffered).toBe(0)
      }),
      { numRuns: 200 }
    )
  })

  it("hands out DataRow values and CopyData data as views into the pushed chunk", () => {
    const bytes = encodeToBytes(
      { _tag: "DataRow", values: [Uint8Array.of(1, 2, 3), null, new Uint8Array(0)] },
      { _tag: "CopyData", data: Uint8Array.of(9, 8, 7) }
    )
    const stream = new BackendMessageStream()
    stream.push(bytes)
    const row = stream.next()
    const copy = stream.next()
    if (row?._tag !== "DataRow" || copy?._tag !== "CopyData") throw new Error("unexpected messages")
    expect(row.values[0]!.buffer).toBe(bytes.buffer)
    expect(copy.data.buffer).toBe(bytes.buffer)
    expect(Array.from(row.values[0]!)).toEqual([1, 2, 3])
    expect(row.values[1]).toBeNull()
    expect(row.values[2]!.byteLength).toBe(0)
  })
})

describe("wire layout", () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

  it("writes the startup packets by their protocol.sgml layout", () => {
    expect(
      hex(
        encodeToBytes({
          _tag: "StartupMessage",
          protocolVersion: { major: 3, minor: 2 },
          parameters: { user: "u" }
        })
      )
    ).toBe("00000010" + "00030002" + "7573657200" + "7500" + "00")
    expect(hex(encodeToBytes({ _tag: "SSLRequest" }))).toBe("00000008" + "04d2162f")
    expect(hex(encodeToBytes({ _tag: "GSSENCRequest" }))).toBe("00000008" + "04d21630")
    expect(
      hex(encodeToBytes({ _tag: "CancelRequest", processId: 7, secretKey: Uint8Array.of(1, 2, 3, 4) }))
    ).toBe("00000010" + "04d2162e" + "00000007" + "01020304")
  })

  it("writes the fixed-size messages by their protocol.sgml layout", () => {
    expect(hex(encodeToBytes({ _tag: "Sync" }))).toBe("5300000004")
    expect(hex(encodeToBytes({ _tag: "ReadyForQuery", status: "T" }))).toBe("5a0000000554")
    expect(hex(encodeToBytes({ _tag: "AuthenticationMD5Password", salt: Uint8Array.of(1, 2, 3, 4) }))).toBe(
      "520000000c" + "00000005" + "01020304"
    )
    expect(
      hex(encodeToBytes({ _tag: "DataRow", values: [Uint8Array.of(0x61), null] }))
    ).toBe("440000000f" + "0002" + "00000001" + "61" + "ffffffff")
  })

  it("writes ErrorResponse fields in PostgreSQL's order, unknown ones last, and cuts values at NUL", () => {
    const bytes = encodeToBytes({
      _tag: "ErrorResponse",
      fields: {
        routine: "r",
        message: "m\0injected",
        code: "42P01",
        severity: "ERROR",
        severityNonLocalized: "ERROR",
        unknownFields: [["Z", "z"]]
      }
    })
    const body = Buffer.from(bytes).subarray(5).toString("latin1")
    expect(body).toBe("SERROR\0VERROR\0C42P01\0Mm\0Rr\0Zz\0\0")
  })

  it("keeps a '__proto__' startup parameter as an own property", () => {
    const w = new Writer()
    const at = w.beginMessage(0)
    w.int32(0x30000).cstring("user").cstring("u").cstring("__proto__").cstring("x").int8(0)
    w.endMessage(at)
    const { type, buffer, start, end } = frameOne(w.take(), true)
    const m = decodeFrontendMessage(type, buffer, start, end)
    if (m._tag !== "StartupMessage") throw new Error("not a StartupMessage")
    expect(Object.keys(m.parameters)).toEqual(["user", "__proto__"])
    expect(m.parameters["__proto__"]).toBe("x")
  })
})
