import { describe, expect, it } from "@effect/vitest"
import { Oid, Writer } from "@pgwire-ts/protocol"
import { Deferred, Effect, Exit, Layer, Stream } from "effect"
import { ServerParameters } from "../src/handlers/ServerParameters.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing, TestServer } from "../src/testing/Testing.js"

const Handler = SimpleQueryHandler.perStatement(() =>
  Effect.succeed(ResultSet.make({ fields: [ResultSet.field("x", Oid.int4)], rows: [[1]] }))
)
const TestLayer = Testing.layer().pipe(Layer.provide(Handler))

const int32 = (n: number) => new Writer(4).int32(n).take()
const concat = (...parts: ReadonlyArray<Uint8Array>) => Buffer.concat(parts)

describe("startup", () => {
  it.scopedLive("3.0: parameters, 4-byte cancel key, ReadyForQuery I", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      const s = yield* c.startup({ user: "alice", parameters: { application_name: "app", TimeZone: "Europe/Paris" } })
      expect(s.secretKey.byteLength).toBe(4)
      expect(s.processId).toBeGreaterThan(0)
      expect(s.negotiated).toBeUndefined()
      expect(s.transactionStatus).toBe("I")
      expect(Object.fromEntries(s.parameters)).toMatchObject({
        server_version: expect.any(String),
        server_encoding: "UTF8",
        client_encoding: "UTF8",
        DateStyle: "ISO, MDY",
        IntervalStyle: "postgres",
        TimeZone: "Europe/Paris",
        integer_datetimes: "on",
        standard_conforming_strings: "on",
        application_name: "app",
        is_superuser: "off",
        session_authorization: "alice"
      })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("3.2: 32-byte cancel key and no negotiation", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      const s = yield* c.startup({ protocol: { major: 3, minor: 2 } })
      expect(s.secretKey.byteLength).toBe(32)
      expect(s.negotiated).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("3.3 and _pq_ options get NegotiateProtocolVersion", () =>
    Effect.gen(function* () {
      const a = yield* (yield* Testing.open).startup({ protocol: { major: 3, minor: 3 } })
      expect(a.negotiated).toEqual({ newestVersion: 0x30002, unrecognizedOptions: [] })
      expect(a.secretKey.byteLength).toBe(32)
      const b = yield* (yield* Testing.open).startup({ parameters: { "_pq_.x": "1", "_pq_.y": "2" } })
      expect(b.negotiated).toEqual({ newestVersion: 0x30000, unrecognizedOptions: ["_pq_.x", "_pq_.y"] })
      expect(b.secretKey.byteLength).toBe(4)
      const q = yield* (yield* Testing.open).startup({ protocol: { major: 3, minor: 9 }, parameters: { "_pq_.z": "1" } })
      expect(q.negotiated).toEqual({ newestVersion: 0x30002, unrecognizedOptions: ["_pq_.z"] })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("major version other than 3: FATAL 0A000", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      const err = yield* Effect.flip(c.startup({ protocol: { major: 2, minor: 0 } }))
      expect(err.error).toMatchObject({ severity: "FATAL", code: "0A000" })
      expect(err.error?.message).toContain("unsupported frontend protocol 2.0")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("no user: FATAL 28000; database defaults to the user", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* c.sendMessage({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { database: "x" } })
      const msgs = yield* c.receiveUntilClosed
      expect(msgs).toEqual([
        expect.objectContaining({ _tag: "ErrorResponse", fields: expect.objectContaining({ severity: "FATAL", code: "28000" }) })
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("GSSENCRequest and SSLRequest are answered N without TLS, then startup continues", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* c.sendMessage({ _tag: "GSSENCRequest" })
      expect(yield* c.receiveByte).toBe(0x4e)
      yield* c.sendMessage({ _tag: "SSLRequest" })
      expect(yield* c.receiveByte).toBe(0x4e)
      const s = yield* c.startup()
      expect(s.transactionStatus).toBe("I")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("garbage before startup: FATAL 08P01, close; another connection keeps working", () =>
    Effect.gen(function* () {
      const good = yield* Testing.connect()
      const c = yield* Testing.open
      yield* c.send(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
      const msgs = yield* c.receiveUntilClosed
      expect(msgs).toHaveLength(1)
      expect(msgs[0]).toMatchObject({ _tag: "ErrorResponse", fields: { severity: "FATAL", code: "08P01" } })
      expect((yield* good.query("select 1")).error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("unknown request code and a short length: 08P01", () =>
    Effect.gen(function* () {
      const a = yield* Testing.open
      yield* a.send(concat(int32(8), int32((1234 << 16) | 9999)))
      expect((yield* a.receiveUntilClosed)[0]).toMatchObject({ fields: { code: "08P01" } })
      const b = yield* Testing.open
      yield* b.send(int32(2))
      expect((yield* b.receiveUntilClosed)[0]).toMatchObject({ fields: { code: "08P01" } })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("an oversize startup packet or message: 08P01 and close", () =>
    Effect.gen(function* () {
      const a = yield* Testing.open
      yield* a.send(concat(int32(10_001), int32(196608)))
      const m = (yield* a.receiveUntilClosed)[0]
      expect(m).toMatchObject({ fields: { code: "08P01" } })
      const b = yield* Testing.connect()
      // A Query whose length word claims 2 GiB.
      yield* b.send(concat(Uint8Array.of(0x51), int32(0x7fffffff)))
      const msgs = yield* b.receiveUntilClosed
      expect(msgs[0]).toMatchObject({ fields: { severity: "FATAL", code: "08P01" } })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("maxMessageSize is configurable", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const ok = yield* c.query("x".repeat(900))
      expect(ok.error).toBeUndefined()
      yield* c.sendMessage({ _tag: "Query", sql: "x".repeat(2000) })
      const msgs = yield* c.receiveUntilClosed
      expect(msgs[0]).toMatchObject({ fields: { code: "08P01" } })
      expect((msgs[0] as { fields: { message: string } }).fields.message).toContain("exceeds the limit of 1024 bytes")
    }).pipe(Effect.provide(Testing.layer({ maxMessageSize: 1024 }).pipe(Layer.provide(Handler)))))

  it.scopedLive("a message the phase does not accept: 08P01, close; a second connection keeps working", () =>
    Effect.gen(function* () {
      const other = yield* Testing.connect()
      const c = yield* Testing.connect()
      yield* c.sendMessage({ _tag: "PasswordMessage", password: "late" })
      const msgs = yield* c.receiveUntilClosed
      expect(msgs).toHaveLength(1)
      expect(msgs[0]).toMatchObject({ fields: { severity: "FATAL", code: "08P01" } })
      expect((msgs[0] as { fields: { message: string } }).fields.message).toContain("unexpected PasswordMessage")
      // A typed message before startup is read as a startup packet length: also a violation.
      const d = yield* Testing.open
      yield* d.sendMessage({ _tag: "Query", sql: "select 1" })
      expect((yield* d.receiveUntilClosed)[0]).toMatchObject({ fields: { code: "08P01" } })
      // An unknown type byte after startup.
      const e = yield* Testing.connect()
      yield* e.send(concat(Uint8Array.of(0x21), int32(4)))
      expect((yield* e.receiveUntilClosed)[0]).toMatchObject({ fields: { code: "08P01" } })
      expect((yield* other.query("select 1")).error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a startup that does not finish in time is closed", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      // Half a startup packet, then silence.
      yield* c.send(int32(40))
      const msgs = yield* c.receiveUntilClosed
      expect(msgs).toEqual([])
    }).pipe(Effect.provide(Testing.layer({ startupTimeout: "200 millis" }).pipe(Layer.provide(Handler)))))

  it.scopedLive("too many connections: FATAL 53300", () =>
    Effect.gen(function* () {
      yield* Testing.connect()
      yield* Testing.connect()
      const err = yield* Effect.flip(Testing.connect())
      expect(err.error).toMatchObject({ severity: "FATAL", code: "53300", message: "sorry, too many clients already" })
    }).pipe(Effect.provide(Testing.layer({ maxConnections: 2 }).pipe(Layer.provide(Handler)))))

  it.scopedLive("Terminate and a vanished client release their connections", () =>
    Effect.gen(function* () {
      const server = yield* TestServer
      const a = yield* Testing.connect()
      const b = yield* Testing.connect()
      expect(yield* server.connections).toBe(2)
      yield* a.terminate
      yield* b.close
      yield* waitUntil(Effect.map(server.connections, (n) => n === 0))
      expect(Exit.isFailure(yield* Effect.exit(a.receive))).toBe(true)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a client that vanishes mid-query interrupts the handler's stream", () =>
    Effect.gen(function* () {
      const released = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const handler = SimpleQueryHandler.perStatement(() =>
        Effect.succeed(
          ResultSet.make({
            fields: [ResultSet.field("x", Oid.int4)],
            rows: Stream.concat(
              Stream.make([1]),
              Stream.fromEffect(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never))
            ).pipe(Stream.ensuring(Deferred.succeed(released, undefined)))
          })
        )
      )
      yield* Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* c.sendMessage({ _tag: "Query", sql: "forever" })
        yield* Deferred.await(started)
        yield* c.close
        yield* Deferred.await(released)
        const server = yield* TestServer
        yield* waitUntil(Effect.map(server.connections, (n) => n === 0))
      }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(handler))))
    }))

  it.scopedLive("ServerParameters overrides", () =>
    Effect.gen(function* () {
      const s = yield* (yield* Testing.open).startup()
      expect(s.parameters.get("server_version")).toBe("15.7 (pgwire-ts)")
      expect(s.parameters.get("custom")).toBe("yes")
      expect(s.parameters.get("server_encoding")).toBe("UTF8")
    }).pipe(
      Effect.provide(
        Testing.layer().pipe(
          Layer.provide(Handler),
          Layer.provide(ServerParameters.layer({ server_version: "15.7 (pgwire-ts)", custom: "yes" }))
        )
      )
    ))
})

/** Polls a condition (the test's own timeout bounds it). */
const waitUntil = (cond: Effect.Effect<boolean>): Effect.Effect<void> =>
  Effect.flatMap(cond, (ok) => (ok ? Effect.void : Effect.zipRight(Effect.sleep("5 millis"), waitUntil(cond))))
