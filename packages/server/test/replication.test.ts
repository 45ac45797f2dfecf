// The replication server API in memory: replication connections, every replication command with
// PostgreSQL 15's result shapes (checked against the golden capture of a real walsender), and the
// START_REPLICATION CopyBoth exchange: XLogData framing, keepalives (timer, reply requests, sender
// timeout), feedback reaching the handler, CopyDone from either side, handler failures, and a
// client that vanishes mid-stream.
import { describe, expect, it } from "@effect/vitest"
import {
  type BackendMessage,
  BackendMessageStream,
  decodeFromPrimary,
  encodeStandbyStatusUpdate,
  type FieldDescription,
  type FrontendMessage,
  Oid,
  PgOutput,
  type StandbyStatusUpdate,
  Writer
} from "@pgwire-ts/protocol"
import { Deferred, Effect, Layer, Option, Queue, Ref, Schedule, Stream } from "effect"
import fs from "node:fs"
import { fileURLToPath } from "node:url"
import { PgError } from "../src/errors/PgError.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import {
  KeepaliveRequest,
  ReplicationHandler,
  type ReplicationHandlerShape,
  type WalMessage
} from "../src/replication/ReplicationHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing, TestServer } from "../src/testing/Testing.js"
import type { TestClient } from "../src/testing/TestClient.js"

const REPLICATION = { parameters: { replication: "database" }, database: "postgres" }
const dec = new TextDecoder()

/** The RowDescriptions a real PostgreSQL 15 walsender sent (golden capture), by the command that produced them. */
const goldenFields = (() => {
  const dir = fileURLToPath(new URL("../../protocol/test/golden/", import.meta.url))
  const stream = new BackendMessageStream({})
  stream.push(new Uint8Array(fs.readFileSync(`${dir}replication-create-slot.be.bin`)))
  const descriptions: Array<ReadonlyArray<FieldDescription>> = []
  for (let m = stream.next(); m !== undefined; m = stream.next()) if (m._tag === "RowDescription") descriptions.push(m.fields)
  // set_config, SHOW data_directory_mode, IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT
  return { show: descriptions[1]!, identify: descriptions[2]!, createSlot: descriptions[3]! }
})()

/** What a test handler records and lets the test drive. */
interface Probe {
  readonly changes: Queue.Queue<WalMessage | KeepaliveRequest | "end" | PgError>
  readonly statuses: Ref.Ref<ReadonlyArray<StandbyStatusUpdate>>
  readonly streamClosed: Deferred.Deferred<void>
  readonly starts: Ref.Ref<ReadonlyArray<string>>
}

const makeProbe = Effect.all({
  changes: Queue.unbounded<WalMessage | KeepaliveRequest | "end" | PgError>(),
  statuses: Ref.make<ReadonlyArray<StandbyStatusUpdate>>([]),
  streamClosed: Deferred.make<void>(),
  starts: Ref.make<ReadonlyArray<string>>([])
})

const handlerFor = (probe: Probe, extra: Partial<ReplicationHandlerShape> = {}): ReplicationHandlerShape => ({
  identifySystem: (session) => Effect.succeed({ systemId: "7712365126401310339", timeline: 1, xlogPos: 0x150e000n, dbName: session.database }),
  createSlot: (request) =>
    request.name === "taken"
      ? Effect.fail(PgError.make("42710", `replication slot "${request.name}" already exists`))
      : Effect.succeed({ consistentPoint: 0x151dc88n, snapshotName: request.snapshot === "export" ? "00000003-00000002-1" : null }),
  dropSlot: (name) => (name === "golden_slot" ? Effect.void : Effect.fail(PgError.make("42704", `replication slot "${name}" does not exist`))),
  startReplication: (request) =>
    Effect.gen(function* () {
      yield* Ref.update(probe.starts, (s) => [...s, `${request.slot} ${request.startLsn} v${request.pgoutput.protoVersion} ${request.pgoutput.publicationNames.join(",")}`])
      yield* Effect.addFinalizer(() => Deferred.succeed(probe.streamClosed, undefined))
      const changes = Stream.fromQueue(probe.changes).pipe(
        Stream.takeWhile((c) => c !== "end"),
        Stream.mapEffect((c) => (c instanceof PgError ? Effect.fail(c) : Effect.succeed(c as WalMessage | KeepaliveRequest)))
      )
      return {
        changes,
        onStandbyStatus: (u) => Ref.update(probe.statuses, (s) => [...s, u])
      }
    }),
  ...extra
})

const SqlHandler = SimpleQueryHandler.perStatement((sql) =>
  Effect.succeed(
    sql.trim().toLowerCase() === "select 1"
      ? ResultSet.make({ fields: [ResultSet.field("one", Oid.int4)], rows: [[1]] })
      : QueryResult.command("SQL")
  )
)

const serverWith = (probe: Probe, extra: Partial<ReplicationHandlerShape> = {}) =>
  Testing.layer().pipe(Layer.provide(Layer.mergeAll(ReplicationHandler.layer(handlerFor(probe, extra)), SqlHandler)))

const withServer = <A, E>(f: (probe: Probe) => Effect.Effect<A, E, TestServer | import("effect").Scope.Scope>, extra: Partial<ReplicationHandlerShape> = {}) =>
  Effect.flatMap(makeProbe, (probe) => Effect.provide(f(probe), serverWith(probe, extra)))

/** Messages until (and including) the first that satisfies `done`. */
const receiveUntil = (c: TestClient, done: (m: BackendMessage) => boolean) =>
  Effect.gen(function* () {
    const out: Array<BackendMessage> = []
    for (;;) {
      const m = yield* c.receive
      out.push(m)
      if (done(m)) return out
    }
  })

const standby = (u: Partial<Omit<StandbyStatusUpdate, "_tag">>): FrontendMessage => {
  const w = new Writer(64)
  encodeStandbyStatusUpdate(w, { writeLsn: 0n, flushLsn: 0n, applyLsn: 0n, sendTime: 0n, replyRequested: false, ...u })
  return { _tag: "CopyData", data: w.take() }
}

const fromPrimary = (m: BackendMessage) => {
  if (m._tag !== "CopyData") throw new Error(`expected CopyData, got ${m._tag}`)
  return decodeFromPrimary(m.data)
}

const start = (c: TestClient, sql = `START_REPLICATION SLOT "s1" LOGICAL 0/1000 ("proto_version" '2', "publication_names" '"p1",p2', "streaming" 'on')`) =>
  Effect.gen(function* () {
    yield* c.sendMessage({ _tag: "Query", sql })
    const response = yield* c.receive
    expect(response).toEqual({ _tag: "CopyBothResponse", format: 0, columnFormats: [] })
    const first = fromPrimary(yield* c.receive)
    expect(first._tag).toBe("PrimaryKeepalive")
  })

const insert = (relationOid: number, ...values: Array<string>): PgOutput.PgOutputMessage => ({
  _tag: "Insert",
  relationOid,
  newTuple: values.map((v) => ({ kind: "text" as const, value: new TextEncoder().encode(v) }))
})

describe("replication connections", () => {
  it.scopedLive("replication=database connects; physical and bad values are refused at startup", () =>
    withServer(() =>
      Effect.gen(function* () {
        const ok = yield* Testing.connect(REPLICATION)
        expect((yield* ok.query("SELECT 1")).results).toEqual([expect.objectContaining({ _tag: "Rows", rows: [["1"]] })])
        for (const [value, code] of [["true", "0A000"], ["on", "0A000"], ["bogus", "22023"]] as const) {
          const c = yield* Testing.open
          const failed = yield* Effect.flip(c.startup({ parameters: { replication: value } }))
          expect(failed.error?.code).toBe(code)
          expect(failed.error?.severity).toBe("FATAL")
        }
        // replication=false is an ordinary connection.
        const plain = yield* Testing.connect({ parameters: { replication: "false" } })
        expect((yield* plain.query("IDENTIFY_SYSTEM")).results).toEqual([{ _tag: "Command", tag: "SQL" }])
      })
    ))

  it.scopedLive("without a ReplicationHandler a replication connection is refused (0A000)", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      const failed = yield* Effect.flip(c.startup(REPLICATION))
      expect(failed.error?.code).toBe("0A000")
    }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(SqlHandler)))))
})

describe("replication commands", () => {
  it.scopedLive("IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT and SHOW answer with PostgreSQL 15's columns and types", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        yield* c.sendMessage({ _tag: "Query", sql: "IDENTIFY_SYSTEM" })
        const identify = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        expect(identify[0]).toEqual({ _tag: "RowDescription", fields: goldenFields.identify })
        expect(identify.slice(1).map((m) => (m._tag === "DataRow" ? m.values.map((v) => (v === null ? null : dec.decode(v))) : m))).toEqual([
          ["7712365126401310339", "1", "0/150E000", "postgres"],
          { _tag: "CommandComplete", tag: "IDENTIFY_SYSTEM" },
          { _tag: "ReadyForQuery", status: "I" }
        ])

        yield* c.sendMessage({ _tag: "Query", sql: `CREATE_REPLICATION_SLOT "golden_slot" LOGICAL "pgoutput" ( SNAPSHOT 'nothing')` })
        const created = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        expect(created[0]).toEqual({ _tag: "RowDescription", fields: goldenFields.createSlot })
        expect(created[1]).toEqual({ _tag: "DataRow", values: [new TextEncoder().encode("golden_slot"), new TextEncoder().encode("0/151DC88"), null, new TextEncoder().encode("pgoutput")] })
        expect(created[2]).toEqual({ _tag: "CommandComplete", tag: "CREATE_REPLICATION_SLOT" })

        yield* c.sendMessage({ _tag: "Query", sql: "SHOW data_directory_mode" })
        const show = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        expect(show[0]).toEqual({ _tag: "RowDescription", fields: goldenFields.show })
        expect(show[2]).toEqual({ _tag: "CommandComplete", tag: "SHOW" })

        // The old option syntax, an exported snapshot, a temporary slot.
        const old = yield* c.query("CREATE_REPLICATION_SLOT s2 TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT")
        expect(old.results).toEqual([expect.objectContaining({ rows: [["s2", "0/151DC88", "00000003-00000002-1", "pgoutput"]] })])
        expect((yield* c.query("SHOW server_version")).results).toEqual([expect.objectContaining({ tag: "SHOW", rows: [["16.0"]] })])
        expect((yield* c.query("DROP_REPLICATION_SLOT golden_slot WAIT;")).results).toEqual([{ _tag: "Command", tag: "DROP_REPLICATION_SLOT" }])
        const readSlot = yield* c.query("READ_REPLICATION_SLOT nope")
        expect(readSlot.results).toEqual([expect.objectContaining({ rows: [[null, null, null]], tag: "READ_REPLICATION_SLOT" })])
        expect(readSlot.results[0]!._tag === "Rows" && readSlot.results[0]!.fields.map((f) => [f.name, f.typeOid])).toEqual([
          ["slot_type", Oid.text],
          ["restart_lsn", Oid.text],
          ["restart_tli", Oid.int8]
        ])
        // Ordinary SQL still reaches the SimpleQueryHandler.
        expect((yield* c.query("SELECT 1")).results).toEqual([expect.objectContaining({ rows: [["1"]] })])
      })
    ))

  it.scopedLive("errors: syntax, bad slot names, the handler's own, unsupported commands, pgoutput options", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        const code = (sql: string) => Effect.map(c.query(sql), (o) => [o.error?.code, o.transactionStatus])
        expect(yield* code("IDENTIFY_SYSTEM junk")).toEqual(["42601", "I"])
        expect(yield* code(`CREATE_REPLICATION_SLOT "Bad" LOGICAL pgoutput`)).toEqual(["42602", "I"])
        expect(yield* code(`CREATE_REPLICATION_SLOT ${"x".repeat(64)} LOGICAL pgoutput`)).toEqual(["42622", "I"])
        expect(yield* code("CREATE_REPLICATION_SLOT taken LOGICAL pgoutput")).toEqual(["42710", "I"])
        expect(yield* code("CREATE_REPLICATION_SLOT x LOGICAL pgoutput (snapshot 'bla')")).toEqual(["22023", "I"])
        expect(yield* code("CREATE_REPLICATION_SLOT x PHYSICAL")).toEqual(["0A000", "I"])
        expect(yield* code("DROP_REPLICATION_SLOT nope")).toEqual(["42704", "I"])
        expect(yield* code("TIMELINE_HISTORY 1")).toEqual(["58P01", "I"])
        expect(yield* code("BASE_BACKUP")).toEqual(["0A000", "I"])
        expect(yield* code("START_REPLICATION 0/0")).toEqual(["0A000", "I"])
        const opts = (o: string) => code(`START_REPLICATION SLOT s1 LOGICAL 0/0 (${o})`)
        expect(yield* opts(`proto_version '1'`)).toEqual(["22023", "I"])
        expect(yield* opts(`publication_names 'p'`)).toEqual(["0A000", "I"])
        expect(yield* opts(`proto_version '5', publication_names 'p'`)).toEqual(["0A000", "I"])
        expect(yield* opts(`proto_version '1', publication_names 'p', streaming 'on'`)).toEqual(["22023", "I"])
        expect(yield* opts(`proto_version '2', publication_names 'p', two_phase 'on'`)).toEqual(["22023", "I"])
        expect(yield* opts(`proto_version '1', publication_names 'p', binary 'maybe'`)).toEqual(["42601", "I"])
        expect(yield* opts(`proto_version '1', publication_names 'p,'`)).toEqual(["42602", "I"])
        expect(yield* opts(`proto_version '1', publication_names 'p', proto_version '1'`)).toEqual(["42601", "I"])
        expect((yield* c.query("SELECT 1")).error).toBeUndefined()
      })
    ))
})

describe("START_REPLICATION", () => {
  it.scopedLive("XLogData for each message with its LSN, feedback to the handler, reply requests, client CopyDone", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        yield* start(c)
        expect(yield* Ref.get(probe.starts)).toEqual(["s1 4096 v2 p1,p2"])
        const relation: PgOutput.PgOutputMessage = {
          _tag: "Relation",
          relationOid: 16400,
          namespace: "public",
          name: "items",
          replicaIdentity: "default",
          columns: [{ isKey: true, name: "id", typeOid: Oid.int8, typeModifier: -1 }]
        }
        const sent: ReadonlyArray<WalMessage> = [
          { lsn: 0x2000n, message: { _tag: "Begin", finalLsn: 0x2100n, commitTime: 1n, xid: 7 } },
          { lsn: 0x2000n, message: relation },
          { lsn: 0x2010n, message: insert(16400, "1") },
          { lsn: 0x2200n, message: { _tag: "Commit", commitLsn: 0x2100n, endLsn: 0x2200n, commitTime: 1n } }
        ]
        yield* Queue.offerAll(probe.changes, sent)
        const decoder = new PgOutput.PgOutputDecoder({ protoVersion: 2 })
        for (const expected of sent) {
          const m = fromPrimary(yield* c.receive)
          if (m._tag !== "XLogData") throw new Error(`expected XLogData, got ${m._tag}`)
          expect([m.walStart, m.walEnd]).toEqual([expected.lsn, expected.lsn])
          expect(decoder.decode(m.data)).toEqual(expected.message)
        }
        // A status update that asks for a reply gets a keepalive reporting the newest position sent.
        yield* c.sendMessage(standby({ writeLsn: 0x2200n, flushLsn: 0x2200n, applyLsn: 0x2200n, replyRequested: true }))
        const reply = fromPrimary(yield* c.receive)
        expect(reply).toMatchObject({ _tag: "PrimaryKeepalive", walEnd: 0x2200n, replyRequested: false })
        expect((yield* Ref.get(probe.statuses)).map((s) => s.flushLsn)).toEqual([0x2200n])
        // A keepalive the handler asks for comes in order with its messages.
        yield* Queue.offer(probe.changes, KeepaliveRequest({ walEnd: 0x3000n }))
        expect(fromPrimary(yield* c.receive)).toMatchObject({ _tag: "PrimaryKeepalive", walEnd: 0x3000n })

        yield* c.sendMessage({ _tag: "CopyDone" })
        const tail = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        // As PostgreSQL (golden capture): CopyDone, "COPY 0", "START_REPLICATION", ReadyForQuery.
        expect(tail).toEqual([
          { _tag: "CopyDone" },
          { _tag: "CommandComplete", tag: "COPY 0" },
          { _tag: "CommandComplete", tag: "START_REPLICATION" },
          { _tag: "ReadyForQuery", status: "I" }
        ])
        yield* Deferred.await(probe.streamClosed)
        expect((yield* c.query("SELECT 1")).results).toEqual([expect.objectContaining({ rows: [["1"]] })])
      })
    ))

  it.scopedLive("the handler's stream ending sends CopyDone; the client's CopyDone completes the command", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        yield* start(c)
        yield* Queue.offer(probe.changes, "end")
        expect(yield* c.receive).toEqual({ _tag: "CopyDone" })
        // Feedback after the server's CopyDone is read and dropped.
        yield* c.sendMessage(standby({ flushLsn: 5n }), { _tag: "CopyDone" })
        expect(yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")).toEqual([
          { _tag: "CommandComplete", tag: "COPY 0" },
          { _tag: "CommandComplete", tag: "START_REPLICATION" },
          { _tag: "ReadyForQuery", status: "I" }
        ])
      })
    ))

  it.scopedLive("a failing handler stream ends the COPY with its error; the connection stays usable", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        yield* start(c)
        yield* Queue.offer(probe.changes, PgError.make("55000", "the slot broke"))
        const end = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        expect(end[0]).toMatchObject({ _tag: "ErrorResponse", fields: { code: "55000", message: "the slot broke" } })
        expect(end[end.length - 1]).toEqual({ _tag: "ReadyForQuery", status: "I" })
        yield* Deferred.await(probe.streamClosed)
        // CopyData the client sent before it saw the error is ignored.
        yield* c.sendMessage(standby({}), { _tag: "CopyDone" })
        expect((yield* c.query("SELECT 1")).results).toEqual([expect.objectContaining({ rows: [["1"]] })])
      })
    ))

  it.scopedLive("a message the requested protocol version cannot carry is an internal error (XX000)", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        yield* start(c, `START_REPLICATION SLOT s1 LOGICAL 0/0 (proto_version '1', publication_names 'p')`)
        yield* Queue.offer(probe.changes, { lsn: 1n, message: { _tag: "StreamStart", xid: 1, firstSegment: true } })
        const end = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        expect(end[0]).toMatchObject({ _tag: "ErrorResponse", fields: { code: "XX000" } })
      })
    ))

  it.scopedLive("a client that vanishes mid-stream: the handler's stream is closed, the connection ends", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const server = yield* TestServer
        const c = yield* Testing.connect(REPLICATION)
        yield* start(c)
        yield* Queue.offer(probe.changes, { lsn: 1n, message: { _tag: "Begin", finalLsn: 2n, commitTime: 0n, xid: 1 } })
        yield* c.receive
        yield* c.close
        yield* Deferred.await(probe.streamClosed)
        yield* Effect.repeat(server.connections, { until: (n) => n === 0, schedule: Schedule.spaced("10 millis") })
      })
    ))

  it.scopedLive("CopyFail from the client ends streaming with 57014", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect(REPLICATION)
        yield* start(c)
        yield* c.sendMessage({ _tag: "CopyFail", message: "bye" })
        const end = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
        expect(end[0]).toMatchObject({ _tag: "ErrorResponse", fields: { code: "57014" } })
      })
    ))

  it.scopedLive("keepalives on the interval, a reply request after half the sender timeout, then the connection ends", () =>
    withServer(
      () =>
        Effect.gen(function* () {
          const c = yield* Testing.connect(REPLICATION)
          yield* start(c)
          const seen = yield* receiveUntil(c, (m) => m._tag !== "CopyData" || (fromPrimary(m) as { replyRequested?: boolean }).replyRequested === true)
          expect(fromPrimary(seen[seen.length - 1]!)).toMatchObject({ _tag: "PrimaryKeepalive", replyRequested: true })
          // Still silent: FATAL, then the server closes.
          const rest = yield* c.receiveUntilClosed
          expect(rest.find((m) => m._tag === "ErrorResponse")).toMatchObject({ fields: { severity: "FATAL", code: "08006" } })
        }),
      { keepaliveInterval: "20 millis", senderTimeout: "400 millis" }
    ))

  it.scopedLive("feedback keeps a slow client alive: each status update restarts the sender timeout", () =>
    withServer(
      (probe) =>
        Effect.gen(function* () {
          const c = yield* Testing.connect(REPLICATION)
          yield* start(c)
          // Answer each reply request, over several timeouts: a missed one would end the connection.
          let answered = 0
          while (answered < 3) {
            const m = fromPrimary(yield* c.receive)
            if (m._tag === "PrimaryKeepalive" && m.replyRequested) {
              yield* c.sendMessage(standby({ flushLsn: 1n }))
              answered++
            }
          }
          yield* c.sendMessage({ _tag: "CopyDone" })
          const tail = yield* receiveUntil(c, (m) => m._tag === "ReadyForQuery")
          expect(tail.filter((m) => m._tag === "CommandComplete")).toHaveLength(2)
          // Every update reached the handler before the client's CopyDone ended the stream.
          expect((yield* Ref.get(probe.statuses)).length).toBe(3)
        }),
      { keepaliveInterval: "1 hour", senderTimeout: "600 millis" }
    ))

  it.scopedLive("START_REPLICATION fails before CopyBoth when the handler refuses (unknown slot)", () =>
    withServer(
      () =>
        Effect.gen(function* () {
          const c = yield* Testing.connect(REPLICATION)
          const out = yield* c.query(`START_REPLICATION SLOT nope LOGICAL 0/0 (proto_version '1', publication_names 'p')`)
          expect(out.error?.code).toBe("42704")
          expect(Option.isNone(Option.fromNullable(out.results[0]))).toBe(true)
        }),
      { startReplication: (r) => Effect.fail(PgError.make("42704", `replication slot "${r.slot}" does not exist`)) }
    ))
})
