// Our own client (@pgwire-ts/client) against the SQLite example server: COPY both ways with
// 100,000 rows (text in, text out, binary out into binary in on a second connection, CSV),
// COPY errors and CopyFail leaving the table unchanged, and LISTEN/NOTIFY delivered to idle
// connections, UNLISTEN when the listener's Scope closes, NOTIFY in a transaction at COMMIT.
import { Client, type ClientOptions, type PgClient, PgError } from "@pgwire-ts/client"
import { decodeCopyValues, Oid } from "@pgwire-ts/protocol"
import { Cause, Chunk, Data, Effect, Exit, Fiber, Option, Scope, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer
let client: PgClient
let closeClient: Effect.Effect<void>
let options: ClientOptions

const ROWS = 100_000

beforeAll(async () => {
  server = await startServer({})
  options = { host: "127.0.0.1", port: server.port, user: "tester", database: "app", sslmode: "disable" }
  const scope = Effect.runSync(Scope.make())
  client = await Effect.runPromise(Scope.extend(Client.connect(options), scope))
  closeClient = Scope.close(scope, Exit.void)
})

afterAll(async () => {
  if (closeClient) await Effect.runPromise(closeClient)
  await server?.stop()
})

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))

/** The typed failure of a program (throws if it succeeded or died). */
const failure = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<E> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(effect))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
  const e = Cause.failureOption(exit.cause)
  if (Option.isNone(e)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return e.value
}

const scalar = async (sql: string): Promise<unknown> => Object.values((await run(client.query(sql)))[0]!.rows[0]!)[0]

// Labels exercise the text format's escapes: tab, newline, carriage return, backslash, and a literal "\N".
const label = (i: number): string | null => (i % 10 === 0 ? null : i % 7 === 0 ? `tab\there\nnew\\line\r\\N #${i}` : `row ${i}`)
const row = (i: number): ReadonlyArray<unknown> => [
  BigInt(i),
  label(i),
  i % 3 === 0 ? null : i / 4,
  i % 5 === 0 ? new Uint8Array([i & 0xff, 0, 0x5c]) : null,
  i % 2 === 0
]
const OIDS = [Oid.int8, Oid.text, Oid.float8, Oid.bytea, Oid.bool]

class SourceFailed extends Data.TaggedError("SourceFailed")<{ readonly why: string }> {}

describe("COPY", () => {
  it("loads 100,000 rows of JS values with COPY FROM STDIN (text format)", async () => {
    await run(client.query("CREATE TABLE rows_in (id INTEGER PRIMARY KEY, label TEXT, score DOUBLE PRECISION, raw BLOB, ok BOOLEAN)"))
    const copied = await run(client.copyFromRows("COPY rows_in FROM STDIN", Stream.range(1, ROWS).pipe(Stream.map(row)), { format: "text" }, { oids: OIDS }))
    expect(copied).toBe(ROWS)
    let total = 0
    for (let i = 1; i <= ROWS; i++) if (i % 3 !== 0) total += i / 4
    const check = await run(client.query(
      "SELECT count(*) AS n, sum(id) AS ids, count(label) AS labels, count(score) AS scores, sum(score) AS total, count(raw) AS raws, sum(ok) AS oks FROM rows_in"
    ))
    expect(check[0]!.rows[0]).toEqual({
      n: BigInt(ROWS),
      ids: BigInt((ROWS * (ROWS + 1)) / 2),
      labels: BigInt(ROWS - ROWS / 10),
      scores: BigInt(ROWS - Math.floor(ROWS / 3)),
      total,
      raws: BigInt(ROWS / 5),
      oks: BigInt(ROWS / 2)
    })
    const escaped = await run(client.execute("SELECT id, label, raw, ok FROM rows_in WHERE id IN ($1, $2) ORDER BY id", [35n, 70n]))
    expect(escaped.rows).toEqual([
      { id: 35n, label: label(35), raw: new Uint8Array([35, 0, 0x5c]), ok: false },
      { id: 70n, label: null, raw: new Uint8Array([70, 0, 0x5c]), ok: true }
    ])
  })

  it("streams the 100,000 rows back out with COPY TO STDOUT (text), each value as it went in", async () => {
    const rows = await run(Stream.runCollect(client.copyToRows("COPY (SELECT id, label, score, raw, ok FROM rows_in ORDER BY id) TO STDOUT", { format: "text" })))
    expect(Chunk.size(rows)).toBe(ROWS)
    const mismatches = Chunk.toArray(rows).filter((r, i) => {
      const [id, text, score, raw, ok] = decodeCopyValues(r, OIDS)
      const want = row(i + 1)
      return id !== want[0] || text !== want[1] || score !== want[2] || ok !== want[4] ||
        (raw === null ? want[3] !== null : Buffer.compare(Buffer.from(raw as Uint8Array), Buffer.from(want[3] as Uint8Array)) !== 0)
    })
    expect(mismatches).toEqual([])
  })

  it("copies the table in binary from one connection into another (COPY TO feeding COPY FROM)", async () => {
    await run(client.query("CREATE TABLE rows_copy (id INTEGER PRIMARY KEY, label TEXT, score DOUBLE PRECISION, raw BLOB, ok BOOLEAN)"))
    const loaded = await run(Effect.gen(function*() {
      const source = yield* Client.connect(options)
      return yield* client.copyFrom("COPY rows_copy FROM STDIN (FORMAT binary)", source.copyTo("COPY rows_in TO STDOUT (FORMAT binary)"))
    }))
    expect(loaded).toBe(ROWS)
    const diff = "SELECT count(*) AS n FROM (SELECT * FROM rows_in EXCEPT SELECT * FROM rows_copy UNION ALL SELECT * FROM rows_copy EXCEPT SELECT * FROM rows_in)"
    expect(await scalar(diff)).toBe(0n)
    expect(await scalar("SELECT count(*) FROM rows_copy")).toBe(BigInt(ROWS))
  })

  it("CSV both ways: quoted fields in, a header and quoting out", async () => {
    await run(client.query("CREATE TABLE csv_in (a INTEGER, b TEXT)"))
    const data = Stream.make("1,one\n2,\"two, quoted\"\n", new TextEncoder().encode("3,\n4,\"\"\n"))
    expect(await run(client.copyFrom("COPY csv_in FROM STDIN (FORMAT csv)", data))).toBe(4)
    expect((await run(client.execute("SELECT a, b FROM csv_in ORDER BY a"))).rows).toEqual([
      { a: 1n, b: "one" }, { a: 2n, b: "two, quoted" }, { a: 3n, b: null }, { a: 4n, b: "" }
    ])
    const out = await run(Stream.runCollect(client.copyTo("COPY (SELECT id, label FROM rows_in WHERE id IN (7, 10) ORDER BY id) TO STDOUT (FORMAT csv, HEADER)")))
    expect(Buffer.concat(Chunk.toArray(out)).toString("utf8")).toBe(`id,label\n7,"tab\there\nnew\\line\r\\N #7"\n10,\n`)
  })

  it("a row the server rejects fails the COPY with its PgError; nothing is stored; the connection goes on", async () => {
    await run(client.query("CREATE TABLE strict_in (n INTEGER)"))
    const lines = Stream.range(1, 50_000).pipe(Stream.map((i) => (i === 20_000 ? "not a number\n" : `${i}\n`)))
    const e = await failure(client.copyFrom("COPY strict_in (n) FROM STDIN", lines))
    expect(e).toBeInstanceOf(PgError)
    expect(e).toMatchObject({ code: "22P02" })
    expect((e as PgError).where).toContain("line 20000")
    expect(await scalar("SELECT count(*) FROM strict_in")).toBe(0n)
  })

  it("a failing input Stream sends CopyFail: nothing is stored and the Stream's error comes out", async () => {
    const lines = Stream.concat(Stream.range(1, 1000).pipe(Stream.map((i) => `${i}\n`)), Stream.fail(new SourceFailed({ why: "disk gone" })))
    expect(await failure(client.copyFrom("COPY strict_in FROM STDIN", lines))).toEqual(new SourceFailed({ why: "disk gone" }))
    expect(await scalar("SELECT count(*) FROM strict_in")).toBe(0n)
    expect((await failure(client.copyFrom("COPY no_such_table FROM STDIN", Stream.make("1\n"))) as PgError).code).toBe("42P01")
  })
})

describe("LISTEN / NOTIFY", () => {
  it("notifications from another connection reach an idle listening connection", async () => {
    const received = await run(Effect.gen(function*() {
      const listener = yield* Client.connect(options)
      const events = yield* listener.listen("jobs")
      const first = yield* Effect.fork(Stream.runCollect(Stream.take(events, 3)))
      // The listener sends nothing from here on: it is idle while the notifications arrive.
      yield* client.execute("SELECT pg_notify($1, $2)", ["jobs", "one"])
      yield* client.query("NOTIFY jobs, 'two'; NOTIFY other_channel, 'ignored'; NOTIFY jobs")
      return Chunk.toArray(yield* Fiber.join(first))
    }))
    expect(received.map((n) => [n.channel, n.payload, n.processId])).toEqual([
      ["jobs", "one", client.processId],
      ["jobs", "two", client.processId],
      ["jobs", "", client.processId]
    ])
  })

  it("every channel on one stream, and UNLISTEN when the listen Scope closes", async () => {
    await run(Effect.gen(function*() {
      const listener = yield* Client.connect(options)
      const all = yield* listener.subscribeNotifications
      yield* Effect.scoped(Effect.gen(function*() {
        const alpha = yield* listener.listen("alpha")
        yield* listener.listen("beta")
        yield* client.query("NOTIFY beta, 'b1'; NOTIFY alpha, 'a1'")
        expect(Option.map(yield* Stream.runHead(alpha), (n) => n.payload)).toEqual(Option.some("a1"))
      }))
      // Both channels were unlistened: this one is not delivered, the marker on a new channel is.
      yield* client.query("NOTIFY alpha, 'after'")
      yield* Effect.scoped(Effect.gen(function*() {
        const marker = yield* listener.listen("marker")
        yield* client.query("NOTIFY marker, 'm'")
        yield* Stream.runHead(marker)
      }))
      const seen = yield* Stream.runCollect(Stream.take(all, 3))
      expect(Chunk.toArray(seen).map((n) => `${n.channel}:${n.payload}`)).toEqual(["beta:b1", "alpha:a1", "marker:m"])
    }))
  })

  it("a NOTIFY inside a transaction is delivered at COMMIT, and not at all after ROLLBACK", async () => {
    const got = await run(Effect.gen(function*() {
      const listener = yield* Client.connect(options)
      const events = yield* listener.listen("tx")
      const collected = yield* Effect.fork(Stream.runCollect(Stream.take(events, 2)))
      yield* client.query("BEGIN; NOTIFY tx, 'rolled back'; ROLLBACK")
      yield* client.query("BEGIN")
      yield* client.query("NOTIFY tx, 'committed'")
      yield* client.execute("SELECT pg_notify($1, $2)", ["tx", "committed too"])
      yield* client.query("COMMIT")
      return Chunk.toArray(yield* Fiber.join(collected)).map((n) => n.payload)
    }))
    expect(got).toEqual(["committed", "committed too"])
  })
})
