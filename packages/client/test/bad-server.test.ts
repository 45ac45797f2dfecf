// What a real PostgreSQL never sends, from a scripted backend: malformed and unexpected
// messages, values our codecs refuse, odd authentication, and protocol 3.2 with a long cancel
// key. Each must end in a typed error (or, for a bad value, a failed query on a connection that
// goes on), never a thrown exception or a hang.
import { Client, type ClientOptions, PgConnectionError, PgValueError } from "@pgwire-ts/client"
import { type CancelRequest, Oid, ScramServerSession, makeScramVerifier } from "@pgwire-ts/protocol"
import { Effect, Fiber } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { dataRow, type FakeConnection, type FakeServer, rowDescription, startFakeServer } from "./fake-server.js"
import { eventually, failure, run } from "./support.js"

let server: FakeServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const options = (port: number, extra: ClientOptions = {}): ClientOptions => ({
  host: "127.0.0.1",
  port,
  user: "u",
  password: "pw",
  database: "db",
  sslmode: "disable",
  connectTimeoutMs: 10_000,
  ...extra
})

/** Accepts the startup, answers the first Query with `reply`, then serves SELECT 1 forever. */
const serve = async (reply: (conn: FakeConnection) => void) => {
  server = await startFakeServer(async (conn) => {
    await conn.next()
    conn.acceptStartup()
    await conn.until("Query")
    reply(conn)
    for (;;) {
      await conn.until("Query")
      conn.send(rowDescription(["one", Oid.int4]), dataRow("1"), { _tag: "CommandComplete", tag: "SELECT 1" }, { _tag: "ReadyForQuery", status: "I" })
    }
  })
  return server.port
}

const queryFailure = (port: number) =>
  failure(Effect.gen(function*() {
    const c = yield* Client.connect(options(port))
    return yield* c.query("SELECT x")
  }))

describe("malformed or unexpected messages end the connection with reason Protocol", () => {
  it.each([
    ["an unknown message type", (c: FakeConnection) => c.sendRaw(new Uint8Array([0x21, 0, 0, 0, 4]))],
    ["a length below 4", (c: FakeConnection) => c.sendRaw(new Uint8Array([0x5a, 0, 0, 0, 2, 0x49]))],
    ["a DataRow before any RowDescription", (c: FakeConnection) => c.send(dataRow("1"))],
    ["a DataRow with the wrong column count", (c: FakeConnection) => c.send(rowDescription(["a", Oid.int4], ["b", Oid.text]), dataRow("1"))],
    ["a DataRow value running past the message", (c: FakeConnection) => {
      c.send(rowDescription(["a", Oid.text]))
      c.sendRaw(new Uint8Array([0x44, 0, 0, 0, 10, 0, 1, 0, 0, 0, 50]))
    }],
    ["a truncated ReadyForQuery status", (c: FakeConnection) => c.sendRaw(new Uint8Array([0x5a, 0, 0, 0, 5, 0x51]))],
    ["a reply to a request never made", (c: FakeConnection) => c.send({ _tag: "ParseComplete" })]
  ])("%s", async (_, reply) => {
    const port = await serve(reply)
    const e = await queryFailure(port)
    expect(e).toBeInstanceOf(PgConnectionError)
    expect((e as PgConnectionError).reason).toBe("Protocol")
  })

  it("an unsolicited message on an idle connection ends it; a FATAL error carries its code", async () => {
    server = await startFakeServer(async (conn) => {
      await conn.next()
      conn.acceptStartup()
      await new Promise((r) => setTimeout(r, 20))
      conn.send({ _tag: "ErrorResponse", fields: { severity: "FATAL", code: "57P01", message: "terminating connection due to administrator command" } })
      conn.end()
    })
    const closed = await run(Effect.flatMap(Client.connect(options(server.port)), (c) => c.closed))
    expect(closed).toMatchObject({ reason: "Closed", code: "57P01" })
  })

  it("a connection closed mid-reply fails the request with reason Closed", async () => {
    const port = await serve((c) => {
      c.send(rowDescription(["a", Oid.int4]), dataRow("1"))
      c.socket.destroy()
    })
    expect(await queryFailure(port)).toMatchObject({ _tag: "PgConnectionError", reason: "Closed" })
  })
})

describe("values our codecs refuse", () => {
  it("fail the query with PgValueError naming the column; the connection goes on", async () => {
    const port = await serve((c) =>
      c.send(rowDescription(["n", Oid.int4], ["t", Oid.text]), dataRow("1", "ok"), dataRow("abc", "x"), dataRow("3", "y"), { _tag: "CommandComplete", tag: "SELECT 3" }, { _tag: "ReadyForQuery", status: "I" })
    )
    const outcome = await run(Effect.gen(function*() {
      const c = yield* Client.connect(options(port))
      const bad = yield* Effect.flip(c.query("SELECT x"))
      const good = yield* c.query("SELECT 1")
      return { bad, good: good[0]!.rows }
    }))
    expect(outcome.bad).toBeInstanceOf(PgValueError)
    expect(outcome.bad).toMatchObject({ kind: "result", at: "n", typeOid: Oid.int4 })
    expect(outcome.good).toEqual([{ one: 1 }])
  })
})

describe("authentication against a scripted server", () => {
  const authFailure = async (script: (conn: FakeConnection) => Promise<void>, extra: ClientOptions = {}) => {
    server = await startFakeServer(async (conn) => {
      await conn.next()
      await script(conn)
    })
    const e = await failure(Client.connect(options(server.port, extra)))
    expect(e).toBeInstanceOf(PgConnectionError)
    return e as PgConnectionError
  }

  it("refuses GSSAPI and SSPI (not supported) with AuthMethodNotAllowed", async () => {
    expect((await authFailure(async (c) => c.send({ _tag: "AuthenticationGSS" }))).reason).toBe("AuthMethodNotAllowed")
    expect((await authFailure(async (c) => c.send({ _tag: "AuthenticationSSPI" }))).reason).toBe("AuthMethodNotAllowed")
  })

  it("refuses SASL without a mechanism we know", async () => {
    const e = await authFailure(async (c) => c.send({ _tag: "AuthenticationSASL", mechanisms: ["GS2-KRB5"] }))
    expect(e.reason).toBe("Auth")
    expect(e.message).toContain("GS2-KRB5")
  })

  it("refuses a SCRAM server that cannot prove it knows the password", async () => {
    const e = await authFailure(async (c) => {
      c.send({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
      const first = await c.next("sasl-initial")
      // An impostor: it does not hold the verifier of "pw".
      const session = new ScramServerSession({ verifier: makeScramVerifier("something else"), mechanism: "SCRAM-SHA-256" })
      const serverFirst = session.handleClientFirst((first as { data: Uint8Array }).data)
      c.send({ _tag: "AuthenticationSASLContinue", data: new TextEncoder().encode(serverFirst) })
      await c.next("sasl")
      c.send({ _tag: "AuthenticationSASLFinal", data: new TextEncoder().encode(`v=${Buffer.alloc(32).toString("base64")}`) })
    })
    expect(e.reason).toBe("Auth")
    expect(e.message).toContain("does not know the password")
  })

  it("refuses AuthenticationOk in the middle of SCRAM", async () => {
    const e = await authFailure(async (c) => {
      c.send({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
      await c.next("sasl-initial")
      c.acceptStartup()
    })
    expect(e.reason).toBe("Auth")
  })

  it("refuses ReadyForQuery before authentication, a long cancel key in 3.0, and an unknown protocol minor", async () => {
    expect((await authFailure(async (c) => c.send({ _tag: "ReadyForQuery", status: "I" }))).reason).toBe("Protocol")
    expect((await authFailure(async (c) => c.acceptStartup(new Uint8Array(32)))).reason).toBe("Protocol")
    const minor = await authFailure(async (c) => c.send({ _tag: "NegotiateProtocolVersion", newestVersion: 0x30001, unrecognizedOptions: [] }), { maxProtocolVersion: "3.2" })
    expect(minor.reason).toBe("Protocol")
    const options = await authFailure(async (c) => c.send({ _tag: "NegotiateProtocolVersion", newestVersion: 0x30002, unrecognizedOptions: ["_pq_.x"] }), { maxProtocolVersion: "3.2" })
    expect(options.message).toContain("_pq_.x")
  })
})

describe("protocol 3.2", () => {
  it("keeps a 32-byte cancel key and sends it back whole in CancelRequest", async () => {
    const key = new Uint8Array(32).map((_, i) => i * 7 + 1)
    const cancels: Array<CancelRequest> = []
    let version: unknown
    server = await startFakeServer(async (conn) => {
      const first = await conn.next()
      if (first._tag === "CancelRequest") {
        cancels.push(first)
        conn.end()
        return
      }
      if (first._tag === "StartupMessage") version = first.protocolVersion
      conn.acceptStartup(key)
      await conn.until("Terminate")
    })
    const port = server.port
    const seen = await run(Effect.gen(function*() {
      const c = yield* Client.connect(options(port, { maxProtocolVersion: "3.2" }))
      yield* c.cancel
      return { key: c.secretKey, version: c.protocolVersion, pid: c.processId }
    }))
    expect(version).toEqual({ major: 3, minor: 2 })
    expect(seen).toEqual({ key, version: { major: 3, minor: 2 }, pid: 4242 })
    expect(cancels).toEqual([{ _tag: "CancelRequest", processId: 4242, secretKey: key }])
  })

  it("a server that negotiates 3.2 down to 3.0 with the whole version code is followed", async () => {
    server = await startFakeServer(async (conn) => {
      await conn.next()
      conn.send({ _tag: "NegotiateProtocolVersion", newestVersion: 0x30000, unrecognizedOptions: [] })
      conn.acceptStartup()
      await conn.until("Terminate")
    })
    const port = server.port
    const version = await run(Effect.map(Client.connect(options(port, { maxProtocolVersion: "3.2" })), (c) => c.protocolVersion))
    expect(version).toEqual({ major: 3, minor: 0 })
  })
})

describe("closing", () => {
  it("closing the Scope sends Terminate and fails requests still waiting", async () => {
    let terminated = false
    server = await startFakeServer(async (conn) => {
      await conn.next()
      conn.acceptStartup()
      await conn.until("Query")
      // Never answers; waits for the client to leave.
      await conn.until("Terminate")
      terminated = true
    })
    const port = server.port
    const fiber = await run(Effect.gen(function*() {
      const c = yield* Client.connect(options(port))
      // A daemon: it outlives the Scope that closes the connection under it.
      const f = yield* Effect.forkDaemon(Effect.either(c.query("SELECT forever")))
      yield* Effect.sleep("20 millis")
      return f
    }))
    const result = await Effect.runPromise(Fiber.join(fiber))
    expect(result._tag).toBe("Left")
    expect((result as { left: PgConnectionError }).left.reason).toBe("Closed")
    await eventually(async () => terminated, "Terminate to reach the server")
  })
})
