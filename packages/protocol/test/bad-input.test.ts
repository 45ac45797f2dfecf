import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import {
  type AuthContext,
  BackendMessage,
  BackendMessageStream,
  decodeBackendMessage,
  decodeFrontendMessage,
  encodeToBytes,
  FrontendMessage,
  FrontendMessageStream,
  MessageFramer,
  ProtocolDecodeError,
  UNTYPED,
  Writer
} from "../src/index.js"

/** Runs `f` and returns the ProtocolDecodeError it throws; fails on a return or any other error. */
const decodeError = (f: () => unknown): ProtocolDecodeError => {
  let result: unknown
  try {
    result = f()
  } catch (e) {
    if (e instanceof ProtocolDecodeError) return e
    throw new Error(`expected ProtocolDecodeError, got ${String(e)}`)
  }
  throw new Error(`expected ProtocolDecodeError, decoded ${JSON.stringify(result)}`)
}

/** Decoding either succeeds or throws ProtocolDecodeError; anything else fails the test. */
const decodesOrRejects = (f: () => unknown): void => {
  try {
    f()
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw e
  }
}

/** A message body built with a Writer. */
const body = (build: (w: Writer) => void): Uint8Array => {
  const w = new Writer(16)
  build(w)
  return w.take()
}

const backend = (type: string, b: Uint8Array) => decodeBackendMessage(type.charCodeAt(0), b, 0, b.length)
const frontend = (type: string, b: Uint8Array, ctx?: AuthContext) =>
  decodeFrontendMessage(type.charCodeAt(0), b, 0, b.length, ctx)
const untyped = (b: Uint8Array) => decodeFrontendMessage(UNTYPED, b, 0, b.length)

type Member = Schema.Schema<FrontendMessage | BackendMessage>
const tagOf = (s: Schema.Schema.Any): string =>
  (s.ast as unknown as { propertySignatures: ReadonlyArray<{ name: PropertyKey; type: { literal: string } }> })
    .propertySignatures.find((p) => p.name === "_tag")!.type.literal

const untypedTags = new Set(["StartupMessage", "SSLRequest", "GSSENCRequest", "CancelRequest"])
const authContextFor = (tag: string): AuthContext =>
  tag === "SASLInitialResponse" ? "sasl-initial" : tag === "SASLResponse" ? "sasl" : tag === "GSSResponse" ? "gss" : "password"

/** Messages whose last field runs to the end of the body, so a shorter or longer body can still be valid. */
const openEnded = new Set([
  "CopyData",
  "SASLResponse",
  "GSSResponse",
  "AuthenticationGSSContinue",
  "AuthenticationSASLContinue",
  "AuthenticationSASLFinal",
  "CancelRequest",
  "BackendKeyData"
])

interface Case {
  readonly tag: string
  readonly arbitrary: fc.Arbitrary<FrontendMessage | BackendMessage>
  /** Decodes a (possibly altered) body of this message's type. */
  readonly decode: (type: number, b: Uint8Array) => unknown
  /** The messageName errors may carry for a body too short to tell the variant. */
  readonly genericName: string
}

const cases: Array<Case> = [
  ...(FrontendMessage.members as unknown as ReadonlyArray<Member>).map((s) => {
    const tag = tagOf(s)
    return {
      tag,
      arbitrary: Arbitrary.make(s),
      decode: (type: number, b: Uint8Array) => decodeFrontendMessage(type, b, 0, b.length, authContextFor(tag)),
      genericName: "StartupMessage"
    }
  }),
  ...(BackendMessage.members as unknown as ReadonlyArray<Member>).map((s) => ({
    tag: tagOf(s),
    arbitrary: Arbitrary.make(s),
    decode: (type: number, b: Uint8Array) => decodeBackendMessage(type, b, 0, b.length),
    genericName: "Authentication"
  }))
]

/** The type byte and body of an encoded message. */
const split = (tag: string, bytes: Uint8Array): { type: number; body: Uint8Array } =>
  untypedTags.has(tag) ? { type: UNTYPED, body: bytes.subarray(4) } : { type: bytes[0]!, body: bytes.subarray(5) }

describe("truncated and overlong bodies", () => {
  for (const c of cases) {
    it(`${c.tag}: every truncation and an extra byte are rejected, naming the message`, () => {
      fc.assert(
        fc.property(c.arbitrary, (m) => {
          const { type, body: full } = split(c.tag, encodeToBytes(m))
          for (let cut = 0; cut < full.length; cut++) {
            const b = full.slice(0, cut)
            if (openEnded.has(c.tag)) {
              decodesOrRejects(() => c.decode(type, b))
            } else {
              const e = decodeError(() => c.decode(type, b))
              if (cut >= 4 || !(c.tag.startsWith("Authentication") || untypedTags.has(c.tag))) {
                expect(e.messageName).toBe(c.tag)
              } else {
                expect([c.tag, c.genericName]).toContain(e.messageName)
              }
            }
          }
          const longer = new Uint8Array(full.length + 1)
          longer.set(full)
          if (openEnded.has(c.tag)) decodesOrRejects(() => c.decode(type, longer))
          else expect(decodeError(() => c.decode(type, longer)).messageName).toBe(c.tag)
        }),
        { numRuns: 25 }
      )
    })
  }
})

describe("framing limits", () => {
  it("rejects a length below 4", () => {
    const s = new BackendMessageStream()
    s.push(Uint8Array.of(0x5a, 0, 0, 0, 3, 0x49))
    expect(decodeError(() => s.next()).messageName).toBe("frame")
    const f = new FrontendMessageStream()
    f.push(Uint8Array.of(0, 0, 0, 2))
    expect(decodeError(() => f.next()).messageName).toBe("frame")
  })

  it("rejects a length over the configured limits before the body arrives", () => {
    const s = new BackendMessageStream({ maxMessageSize: 1024 })
    s.push(Uint8Array.of(0x44, 0, 0, 4, 1))
    expect(decodeError(() => s.next()).reason).toMatch(/exceeds the limit of 1024/)
    const f = new FrontendMessageStream({ maxStartupSize: 64 })
    f.push(Uint8Array.of(0, 0, 0, 65))
    expect(decodeError(() => f.next()).reason).toMatch(/exceeds the limit of 64/)
    const g = new FrontendMessageStream({ maxMessageSize: 100 })
    g.push(encodeToBytes({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "u" } }))
    expect(g.next()?._tag).toBe("StartupMessage")
    g.push(Uint8Array.of(0x51, 0, 0, 0, 101))
    expect(decodeError(() => g.next()).messageName).toBe("frame")
  })

  it("waits (returns undefined) for an incomplete message instead of failing or spinning", () => {
    const s = new BackendMessageStream()
    s.push(Uint8Array.of(0x44, 0, 0, 0, 10, 0))
    expect(s.next()).toBeUndefined()
    expect(s.next()).toBeUndefined()
    expect(s.buffered).toBe(6)
  })
})

describe("unknown type bytes and codes", () => {
  it("rejects an unknown backend type byte", () => {
    const e = decodeError(() => backend("z", new Uint8Array(0)))
    expect(e.messageName).toBe("BackendMessage")
    expect(e.reason).toMatch(/unknown type byte 'z'/)
  })

  it("rejects an unknown frontend type byte, including backend-only ones", () => {
    for (const t of ["z", "T", "Z", "R", "\u0001"]) {
      expect(decodeError(() => frontend(t, new Uint8Array(0))).messageName).toBe("FrontendMessage")
    }
  })

  it("rejects an unknown authentication code", () => {
    for (const code of [1, 4, 6, 13, -1]) {
      const e = decodeError(() => backend("R", body((w) => w.int32(code))))
      expect(e.messageName).toBe("Authentication")
      expect(e.reason).toMatch(/unknown authentication code/)
    }
  })

  it("rejects an unknown request code in an untyped packet", () => {
    const e = decodeError(() => untyped(body((w) => w.int32((1234 << 16) | 9999))))
    expect(e.messageName).toBe("request")
    expect(e.reason).toMatch(/unknown request code/)
  })

  it("rejects invalid enum values", () => {
    expect(decodeError(() => backend("Z", Uint8Array.of(0x58))).messageName).toBe("ReadyForQuery")
    expect(decodeError(() => frontend("D", Uint8Array.of(0x58, 0))).messageName).toBe("Describe")
    expect(decodeError(() => frontend("C", Uint8Array.of(0x73, 0))).messageName).toBe("Close")
    for (const t of ["G", "H", "W"]) {
      const e = decodeError(() => backend(t, Uint8Array.of(2, 0, 0)))
      expect(e.reason).toMatch(/copy format 2/)
    }
  })
})

describe("strings without terminator", () => {
  it("rejects a cstring that runs to the end of the message", () => {
    expect(decodeError(() => frontend("Q", Buffer.from("select 1"))).messageName).toBe("Query")
    expect(decodeError(() => backend("C", Buffer.from("SELECT 1"))).messageName).toBe("CommandComplete")
    expect(decodeError(() => backend("S", Buffer.from("a\0b"))).messageName).toBe("ParameterStatus")
    expect(decodeError(() => frontend("P", Buffer.from("s\0select"))).messageName).toBe("Parse")
    expect(
      decodeError(() => untyped(body((w) => w.int32(0x30000).cstring("user").string("u")))).messageName
    ).toBe("StartupMessage")
    expect(decodeError(() => backend("E", Buffer.from("SERROR\0C42"))).messageName).toBe("ErrorResponse")
  })

  it("does not find a terminator past the message end in the same buffer", () => {
    const b = Buffer.from("select 1\0")
    expect(decodeError(() => decodeFrontendMessage(0x51, b, 0, b.length - 1)).messageName).toBe("Query")
  })
})

describe("counts that run past the message", () => {
  it("DataRow with 65535 columns in a short body", () => {
    const e = decodeError(() => backend("D", body((w) => w.int16(0xffff).int32(1).int8(0x61))))
    expect(e.messageName).toBe("DataRow")
    expect(e.reason).toMatch(/column count 65535/)
  })

  it("DataRow whose value length runs past the message", () => {
    expect(decodeError(() => backend("D", body((w) => w.int16(1).int32(100).int8(1)))).messageName).toBe("DataRow")
    expect(decodeError(() => backend("D", body((w) => w.int16(1).int32(0x7fffffff)))).messageName).toBe("DataRow")
  })

  it("Bind with a huge parameter count or format count", () => {
    const huge = body((w) => w.cstring("").cstring("").int16(0).int16(0xffff).int32(-1))
    expect(decodeError(() => frontend("B", huge)).messageName).toBe("Bind")
    const formats = body((w) => w.cstring("").cstring("").int16(0x8000).int16(1))
    expect(decodeError(() => frontend("B", formats)).messageName).toBe("Bind")
    const results = body((w) => w.cstring("").cstring("").int16(0).int16(0).int16(5000))
    expect(decodeError(() => frontend("B", results)).messageName).toBe("Bind")
  })

  it("RowDescription, ParameterDescription, Parse, FunctionCall and NegotiateProtocolVersion", () => {
    expect(decodeError(() => backend("T", body((w) => w.int16(0xffff).cstring("a")))).messageName).toBe(
      "RowDescription"
    )
    expect(decodeError(() => backend("t", body((w) => w.int16(3).int32(23)))).messageName).toBe(
      "ParameterDescription"
    )
    expect(decodeError(() => frontend("P", body((w) => w.cstring("").cstring("q").int16(40000)))).messageName).toBe(
      "Parse"
    )
    expect(decodeError(() => frontend("F", body((w) => w.int32(1).int16(0).int16(9).int32(0)))).messageName).toBe(
      "FunctionCall"
    )
    for (const n of [0x7fffffff, -1, 2]) {
      expect(decodeError(() => backend("v", body((w) => w.int32(2).int32(n).cstring("_pq_.x")))).messageName).toBe(
        "NegotiateProtocolVersion"
      )
    }
  })
})

describe("negative lengths other than -1", () => {
  it("are rejected wherever a length may be -1", () => {
    for (const len of [-2, -5, -0x80000000]) {
      expect(decodeError(() => backend("D", body((w) => w.int16(1).int32(len)))).reason).toMatch(/negative length/)
      expect(
        decodeError(() => frontend("B", body((w) => w.cstring("").cstring("").int16(0).int16(1).int32(len).int16(0))))
          .messageName
      ).toBe("Bind")
      expect(
        decodeError(() => frontend("F", body((w) => w.int32(1).int16(0).int16(1).int32(len).int16(0)))).messageName
      ).toBe("FunctionCall")
      expect(decodeError(() => backend("V", body((w) => w.int32(len)))).messageName).toBe("FunctionCallResponse")
      expect(decodeError(() => frontend("p", body((w) => w.cstring("SCRAM-SHA-256").int32(len)), "sasl-initial")).messageName).toBe(
        "SASLInitialResponse"
      )
    }
  })

  it("accepts -1 as NULL", () => {
    expect(backend("D", body((w) => w.int16(1).int32(-1)))).toEqual({ _tag: "DataRow", values: [null] })
    expect(frontend("p", body((w) => w.cstring("SCRAM-SHA-256").int32(-1)), "sasl-initial")).toEqual({
      _tag: "SASLInitialResponse",
      mechanism: "SCRAM-SHA-256",
      data: null
    })
  })
})

describe("secret keys", () => {
  const cancel = (n: number) => body((w) => w.int32(80877102).int32(42).bytes(new Uint8Array(n)))
  const keyData = (n: number) => body((w) => w.int32(42).bytes(new Uint8Array(n)))

  it("accepts 4 to 256 bytes", () => {
    for (const n of [4, 32, 256]) {
      expect(untyped(cancel(n))).toEqual({ _tag: "CancelRequest", processId: 42, secretKey: new Uint8Array(n) })
      expect(backend("K", keyData(n))).toEqual({ _tag: "BackendKeyData", processId: 42, secretKey: new Uint8Array(n) })
    }
  })

  it("rejects fewer than 4 or more than 256", () => {
    for (const n of [0, 3, 257, 1000]) {
      expect(decodeError(() => untyped(cancel(n))).messageName).toBe("CancelRequest")
      expect(decodeError(() => backend("K", keyData(n))).messageName).toBe("BackendKeyData")
    }
  })
})

describe("ErrorResponse and NoticeResponse", () => {
  it("require severity, code and message", () => {
    const missingCode = Buffer.from("SERROR\0Mboom\0\0")
    expect(decodeError(() => backend("E", missingCode)).reason).toMatch(/code field \(C\)/)
    expect(decodeError(() => backend("N", Buffer.from("C00000\0Mhi\0\0"))).reason).toMatch(/severity/)
  })

  it("keep unknown fields and let a repeated field keep its last value", () => {
    expect(backend("E", Buffer.from("SERROR\0C1\0C42P01\0Mm\0Zz\0\0"))).toEqual({
      _tag: "ErrorResponse",
      fields: { severity: "ERROR", code: "42P01", message: "m", unknownFields: [["Z", "z"]] }
    })
  })
})

describe("fuzz: random input never throws anything but ProtocolDecodeError", () => {
  const frontendTypes = [0, ..."BCdcfDEHFPpQSX".split("").map((c) => c.charCodeAt(0))]
  const backendTypes = "R K 2 3 C W d c G H D I E V v n N A t S 1 s Z T".split(" ").map((c) => c.charCodeAt(0))
  const contexts: Array<AuthContext> = ["password", "sasl-initial", "sasl", "gss"]

  it("random bodies for every type byte", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...frontendTypes, ...backendTypes), fc.integer({ min: 0, max: 255 })),
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom(...contexts),
        (type, b, ctx) => {
          decodesOrRejects(() => decodeFrontendMessage(type, b, 0, b.length, ctx))
          decodesOrRejects(() => decodeBackendMessage(type, b, 0, b.length))
        }
      ),
      { numRuns: 5000 }
    )
  })

  it("valid messages with random bytes overwritten", () => {
    const anyMessage = fc.oneof(...cases.map((c) => c.arbitrary.map((m) => [c, m] as const)))
    fc.assert(
      fc.property(
        anyMessage,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        ([c, m], edits) => {
          const { type, body: original } = split(c.tag, encodeToBytes(m))
          if (original.length === 0) return
          const b = original.slice()
          for (const [at, v] of edits) b[at % b.length] = v
          decodesOrRejects(() => c.decode(type, b))
        }
      ),
      { numRuns: 3000 }
    )
  })

  it("random byte streams through both stream decoders end in a message, a wait or a ProtocolDecodeError", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => {
        const streams = [
          new FrontendMessageStream({ maxMessageSize: 4096 }),
          new BackendMessageStream({ maxMessageSize: 4096 })
        ]
        for (const s of streams) {
          try {
            for (const chunk of chunks) {
              s.push(chunk)
              // Each next() consumes a whole message or returns undefined, so this loop ends.
              while (s.next() !== undefined) {
                /* keep decoding */
              }
            }
          } catch (e) {
            if (!(e instanceof ProtocolDecodeError)) throw e
          }
        }
      }),
      { numRuns: 2000 }
    )
  })

  it("the framer never hands a decoder a body past its length word", () => {
    const f = new MessageFramer()
    f.push(Uint8Array.of(0x51, 0, 0, 0, 6, 0x61, 0x62, 0x51, 0, 0, 0, 5, 0))
    expect(f.next()).toBe(true)
    expect(decodeError(() => decodeFrontendMessage(f.type, f.buffer, f.start, f.end)).messageName).toBe("Query")
    expect(f.next()).toBe(true)
    expect(decodeFrontendMessage(f.type, f.buffer, f.start, f.end)).toEqual({ _tag: "Query", sql: "" })
  })
})
