#!/usr/bin/env node
// Records real PostgreSQL 15 wire traffic as golden files for the protocol tests.
//
//   node packages/protocol/scripts/capture-golden.mjs [scenario ...]
//
// Starts a throwaway cluster (test-support/postgres.mjs) and a recording TCP proxy in front of
// it; each scenario drives a real client (psql, pg_recvlogical, node-postgres, postgres.js,
// psycopg, or raw bytes) through the proxy with TLS off, and every proxied connection is
// written as test/golden/<name>.fe.bin (frontend -> backend bytes) and <name>.be.bin
// (backend -> frontend bytes). Connections that only set things up go straight to the server.
// Not run by CI; the captures are committed. Captured values (nonces, pids, LSNs, times)
// differ on every run, so tests assert structure and known inputs, not exact bytes.
import { execFile, spawn } from "node:child_process"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import Cursor from "pg-cursor"
import copyStreams from "pg-copy-streams"
import postgres from "postgres"
import { PG_BIN, PSQL, startPostgres } from "../../../test-support/postgres.mjs"

const GOLDEN_DIR = fileURLToPath(new URL("../test/golden/", import.meta.url))
const MAX_CAPTURE_BYTES = 200 * 1024
const SYSTEM_PYTHON = "/usr/bin/python3" // the one with psycopg

// ---------------------------------------------------------------------------------------------
// Recording proxy

/** A TCP proxy on 127.0.0.1 that records each connection's bytes in both directions. */
class RecordingProxy {
  constructor(targetPort) {
    this.targetPort = targetPort
    this.names = []
    this.connections = []
    this.server = net.createServer((client) => this.accept(client))
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen({ host: "127.0.0.1", port: 0 }, () => {
        this.port = this.server.address().port
        resolve(this.port)
      })
    })
  }

  close() {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  accept(client) {
    const name = this.names.shift()
    const upstream = net.connect({ host: "127.0.0.1", port: this.targetPort })
    const record = { name, fe: [], be: [], done: undefined }
    let open = 2
    record.done = new Promise((resolve) => {
      const closed = () => {
        if (--open === 0) resolve()
      }
      client.once("close", closed)
      upstream.once("close", closed)
    })
    client.on("data", (chunk) => {
      record.fe.push(Buffer.from(chunk))
      upstream.write(chunk)
    })
    upstream.on("data", (chunk) => {
      record.be.push(Buffer.from(chunk))
      client.write(chunk)
    })
    client.once("end", () => upstream.end())
    upstream.once("end", () => client.end())
    client.once("error", () => upstream.destroy())
    upstream.once("error", () => client.destroy())
    this.connections.push(record)
  }

  /**
   * Runs `drive` and names the connections it opens through the proxy, in order of arrival;
   * waits for them to close and writes their bytes. Fails if the count differs.
   */
  async record(names, drive) {
    this.names = [...names]
    this.connections = []
    const result = await drive(this.port)
    const settle = Promise.all(this.connections.map((c) => c.done))
    await withTimeout(settle, 15_000, `connections of ${names.join(", ")} did not close`)
    if (this.connections.length !== names.length) {
      throw new Error(`expected ${names.length} proxied connection(s) for ${names.join(", ")}, saw ${this.connections.length}`)
    }
    const written = []
    for (const c of this.connections) {
      const fe = Buffer.concat(c.fe)
      const be = Buffer.concat(c.be)
      if (fe.length + be.length > MAX_CAPTURE_BYTES) {
        throw new Error(`${c.name} captured ${fe.length + be.length} bytes, over the ${MAX_CAPTURE_BYTES} budget`)
      }
      fs.writeFileSync(path.join(GOLDEN_DIR, `${c.name}.fe.bin`), fe)
      fs.writeFileSync(path.join(GOLDEN_DIR, `${c.name}.be.bin`), be)
      written.push({ name: c.name, feBytes: fe.length, beBytes: be.length })
    }
    return { written, result }
  }
}

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)
    })
  ])
}

// ---------------------------------------------------------------------------------------------
// Process helpers

/** libpq environment for a proxied connection: no TLS, no GSS, no ~/.pgpass surprises. */
function libpqEnv(extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: os.tmpdir(),
    LANG: "C.UTF-8",
    PGSSLMODE: "disable",
    PGGSSENCMODE: "disable",
    PGPASSFILE: "/dev/null",
    PGCONNECT_TIMEOUT: "10",
    ...extra
  }
}

function run(command, args, { env, input, timeoutMs = 60_000, okCodes = [0] } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "buffer" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0
      if (okCodes.includes(code)) resolve({ stdout, stderr: stderr.toString("utf8"), code })
      else reject(new Error(`${command} ${args.join(" ")} failed (${err?.code ?? err?.signal}):\n${stderr}`))
    })
    child.stdin.end(input ?? "")
  })
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each takes (cluster, proxy, work) and returns what the manifest should say about it.

const scenarios = {}

scenarios["psql-simple"] = async (cluster, proxy, work) => {
  const user = cluster.users.scram_user
  fs.writeFileSync(path.join(work, "in.txt"), "2\ttwo\t\\N\n3\tthree\ttab\\there\n")
  fs.writeFileSync(path.join(work, "in.csv"), 'id,name,note\n4,four,"quoted, with comma"\n5,five,\n')
  const script = `
CREATE TABLE golden_copy (id int4 PRIMARY KEY, name text, note text);
SELECT 1::int2 AS i2, 2::int4 AS i4, 3::int8 AS i8, 1.5::float4 AS f4, 2.25::float8 AS f8,
       12.345::numeric AS num, true AS b, 'text'::text AS t, 'vc'::varchar AS vc, 'x'::char(3) AS c,
       'nm'::name AS nm, '\\xdeadbeef'::bytea AS ba, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u,
       '{"a": 1}'::json AS j, '{"b": 2}'::jsonb AS jb, '2024-02-29'::date AS d, '12:34:56.789'::time AS tm,
       '2024-02-29 12:34:56.789'::timestamp AS ts, '2024-02-29 12:34:56.789+00'::timestamptz AS tstz,
       '1 year 2 mons 3 days 04:05:06'::interval AS iv, ARRAY[1, 2, NULL]::int4[] AS ai,
       ARRAY['a', 'b c']::text[] AS at, NULL::text AS nul, 42::oid AS o;
SELEC 1;
SELECT * FROM missing_table;
DO $$ BEGIN RAISE NOTICE 'hello'; END $$;
BEGIN;
INSERT INTO golden_copy VALUES (1, 'one', NULL);
COMMIT;
BEGIN;
SELECT 1 / 0;
ROLLBACK;
ROLLBACK;
INSERT INTO golden_copy VALUES (1, 'duplicate', NULL);
SET application_name = 'golden-renamed';
\\copy golden_copy FROM '${work}/in.txt'
\\copy golden_copy FROM '${work}/in.csv' WITH (FORMAT csv, HEADER true)
\\copy golden_copy TO '${work}/out.txt'
\\copy (SELECT id, name, note FROM golden_copy ORDER BY id) TO '${work}/out.csv' WITH (FORMAT csv, HEADER true)
\\copy (SELECT id, name FROM golden_copy WHERE id <= 2 ORDER BY id) TO '${work}/out.bin' WITH (FORMAT binary)
LISTEN golden_channel;
NOTIFY golden_channel, 'hello from psql';
SELECT pg_notify('golden_channel', 'second');
UNLISTEN *;
DROP TABLE golden_copy;
\\lo_import '${work}/in.txt'
SELECT lo_unlink(:LASTOID);
`
  fs.writeFileSync(path.join(work, "simple.sql"), script)
  const { written, result } = await proxy.record(["psql-simple"], (port) =>
    run(PSQL, ["-X", "-h", "127.0.0.1", "-p", String(port), "-U", user.name, "-d", "postgres",
      "-c", "SELECT 1 AS one; SELECT 'two'::text AS two, 2.5::numeric AS n",
      "-c", "",
      "-f", path.join(work, "simple.sql")],
    { env: libpqEnv({ PGPASSWORD: user.password, PGAPPNAME: "golden-psql" }) })
  )
  const outTxt = fs.readFileSync(path.join(work, "out.txt"), "utf8")
  if (!outTxt.includes("3\tthree\ttab\\there")) throw new Error(`\\copy out did not round-trip: ${outTxt}`)
  if (!result.stderr.includes("hello")) throw new Error(`psql did not print the notice: ${result.stderr}`)
  return {
    written,
    description:
      "psql as scram_user: a two-statement -c string, an empty -c, then a file: CREATE TABLE, SELECT of many types, syntax error (42601), missing table (42P01), RAISE NOTICE 'hello', BEGIN/INSERT/COMMIT, BEGIN/1/0 (22012)/ROLLBACK, ROLLBACK outside a transaction (WARNING 25P01), duplicate key (23505 with detail, schema, table, constraint), SET application_name (ParameterStatus), \\copy in (text, csv header), \\copy out (text, csv header, binary), LISTEN/NOTIFY (two notifications on golden_channel), UNLISTEN, DROP, \\lo_import (libpq fast-path FunctionCall/FunctionCallResponse inside BEGIN/COMMIT) and lo_unlink",
    copyOut: { text: outTxt, csv: fs.readFileSync(path.join(work, "out.csv"), "utf8") }
  }
}

scenarios["pg-extended"] = async (cluster, proxy) => {
  const raw = { getTypeParser: () => (value) => value }
  const { written, result } = await proxy.record(["pg-extended"], async (port) => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "trust_user", database: "postgres", ssl: false, application_name: "golden-pg" })
    await client.connect()
    const seen = {}
    try {
      await client.query("CREATE TABLE golden_ext (id int4, label text, data bytea)")
      seen.sum = (await client.query("SELECT $1::int4 + $2::int4 AS sum, $3::text AS label", [1, 2, "x"])).rows
      const named = { name: "golden_named", text: "SELECT $1::int8 * 2 AS doubled" }
      seen.named1 = (await client.query({ ...named, values: ["21"] })).rows
      seen.named2 = (await client.query({ ...named, values: ["50"] })).rows
      seen.insert = (await client.query({
        name: "golden_insert",
        text: "INSERT INTO golden_ext VALUES ($1, $2, $3)",
        values: [1, "bin", Buffer.from([0xde, 0xad, 0xbe, 0xef])]
      })).rowCount
      seen.binary = (await client.query({
        text: "SELECT $1::int4 AS i4, 2::int2 AS i2, 3::int8 AS i8, 1.5::float8 AS f8, true AS b, 'txt'::text AS t, " +
          "'\\xdeadbeef'::bytea AS ba, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, " +
          "'2024-02-29 12:34:56.789+00'::timestamptz AS tstz, 12.345::numeric AS num, ARRAY[1, 2, 3]::int4[] AS ai, NULL::text AS nul",
        values: [7],
        binary: true,
        types: raw
      })).rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : Buffer.from(v).toString("hex")])))
      const cursor = client.query(new Cursor("SELECT g, 'row ' || g AS label FROM generate_series(1, 10) g"))
      seen.cursor = [await cursor.read(4), await cursor.read(4), await cursor.read(4)].map((rows) => rows.length)
      await cursor.close()
      seen.divByZero = await client.query("SELECT 1 / $1::int4", [0]).then(() => "no error", (e) => e.code)
      seen.parseError = await client.query("SELEC $1", [1]).then(() => "no error", (e) => e.code)
      seen.afterErrors = (await client.query("SELECT $1::text AS still", ["alive"])).rows
      const copyIn = client.query(copyStreams.from("COPY golden_ext (id, label) FROM STDIN"))
      await new Promise((resolve, reject) => {
        copyIn.once("finish", resolve)
        copyIn.once("error", reject)
        copyIn.write("2\ttwo\n3\tthree\n")
        copyIn.end()
      })
      const failing = client.query(copyStreams.from("COPY golden_ext (id, label) FROM STDIN"))
      seen.copyFail = await new Promise((resolve) => {
        failing.once("error", (e) => resolve(e.code ?? e.message))
        failing.once("close", () => resolve("closed"))
        failing.write("4\tfour\n", () => failing.destroy(new Error("golden abort")))
      })
      seen.copyOut = await new Promise((resolve, reject) => {
        const chunks = []
        const out = client.query(copyStreams.to("COPY (SELECT id, label FROM golden_ext ORDER BY id) TO STDOUT WITH (FORMAT csv)"))
        out.on("data", (c) => chunks.push(c))
        out.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
        out.once("error", reject)
      })
      await client.query("DROP TABLE golden_ext")
    } finally {
      await client.end()
    }
    return seen
  })
  if (result.divByZero !== "22012" || result.parseError !== "42601") throw new Error(`unexpected errors: ${JSON.stringify(result)}`)
  return {
    written,
    description:
      "node-postgres as trust_user: simple CREATE TABLE; unnamed statement with 3 text params; named statement golden_named run twice (one Parse); named INSERT with a binary bytea param (NoData); all-binary results; pg-cursor reading 4+4+2 rows (Execute row limit, PortalSuspended, Close); 1/$1 with 0 (22012 at Bind: the planner folds the constant); 'SELEC $1' (42601 at Parse, skip until Sync); a query after the errors; COPY FROM STDIN (CopyData, CopyDone); COPY FROM STDIN aborted with CopyFail 'golden abort' (57014); COPY TO STDOUT csv; DROP",
    observed: result
  }
}

scenarios["psycopg-pipeline"] = async (cluster, proxy) => {
  const program = `
import json, sys, psycopg
out = {}
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="trust_user", dbname="postgres",
                     sslmode="disable", gssencmode="disable", application_name="golden-psycopg", autocommit=True) as conn:
    try:
        with conn.pipeline():
            c1 = conn.execute("SELECT %s::int4 AS a, %b::text AS b", [1, "binary param"])
            c2 = conn.execute("SELECT 1 / %s::int4 AS boom", [0])
            c3 = conn.execute("SELECT %s::text AS skipped", ["never"])
    except psycopg.errors.DivisionByZero as e:
        out["error"] = e.sqlstate
    with conn.pipeline():
        c4 = conn.execute("SELECT %s::int4 + 1 AS next", [41])
        c5 = conn.execute("SELECT 'pipelined'::text AS t", prepare=True)
    out["after"] = [c4.fetchall()[0][0], c5.fetchall()[0][0]]
print(json.dumps(out))
`
  const { written, result } = await proxy.record(["psycopg-pipeline"], (port) =>
    run(SYSTEM_PYTHON, ["-c", program, String(port)], { env: libpqEnv() })
  )
  const observed = JSON.parse(result.stdout.toString("utf8"))
  if (observed.error !== "22012") throw new Error(`psycopg pipeline: ${result.stdout}`)
  return {
    written,
    description:
      "psycopg 3 (libpq 15 pipeline mode) as trust_user: three queries in one pipeline (text and binary params), the second fails with 22012 so the third is skipped until Sync; then a second pipeline with a prepared statement (Describe statement)",
    observed
  }
}

scenarios["postgres-js"] = async (cluster, proxy) => {
  const { written, result } = await proxy.record(["postgres-js"], async (port) => {
    const sql = postgres({ host: "127.0.0.1", port, user: "trust_user", database: "postgres", ssl: false, max: 1, prepare: true, fetch_types: false, connection: { application_name: "golden-postgres-js" } })
    try {
      const a = await sql`SELECT ${1}::int4 AS a, ${"x"}::text AS b`
      const b = await sql`SELECT ${2}::int4 AS a, ${"y"}::text AS b`
      return [a[0], b[0]]
    } finally {
      await sql.end({ timeout: 5 })
    }
  })
  return {
    written,
    description: "postgres.js as trust_user with prepare: true: the same statement twice (Parse + Describe statement, then Bind/Execute reuse)",
    observed: result
  }
}

for (const [scenario, userName, method] of [
  ["scram-login", "scram_user", "SCRAM-SHA-256"],
  ["md5-login", "md5_user", "MD5"],
  ["password-login", "password_user", "cleartext password"]
]) {
  scenarios[scenario] = async (cluster, proxy) => {
    const user = cluster.users[userName]
    const { written, result } = await proxy.record([scenario], (port) =>
      run(PSQL, ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", user.name, "-d", "postgres", "-c", "SELECT current_user"], {
        env: libpqEnv({ PGPASSWORD: user.password, PGAPPNAME: "golden-login" })
      })
    )
    if (result.stdout.toString("utf8").trim() !== user.name) throw new Error(`${scenario}: ${result.stdout}`)
    // What a test needs to recompute the client's answer from the captured salt and nonces,
    // and the server's stored form of the password (pg_authid.rolpassword) to compare ours with.
    const storedPassword = (await cluster.psql(`SELECT rolpassword FROM pg_authid WHERE rolname = '${user.name}'`)).trim()
    fs.writeFileSync(
      path.join(GOLDEN_DIR, `${scenario}.json`),
      JSON.stringify({ user: user.name, password: user.password, storedPassword, method, client: "psql 15 (libpq)", query: "SELECT current_user" }, null, 2) + "\n"
    )
    return { written, description: `psql (libpq) login as ${user.name} with ${method}, then SELECT current_user; password and pg_authid.rolpassword in ${scenario}.json` }
  }
}

scenarios["ssl-refused"] = async (cluster, proxy) => {
  const { written } = await proxy.record(["ssl-refused"], (port) =>
    run(PSQL, ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", "trust_user", "-d", "postgres", "-c", "SELECT 1"], {
      env: libpqEnv({ PGSSLMODE: "prefer", PGAPPNAME: "golden-ssl" })
    })
  )
  return { written, description: "psql with sslmode=prefer against a server without TLS: SSLRequest answered 'N' (one byte, no message framing), then a plain StartupMessage as trust_user and SELECT 1" }
}

/** Sends raw frontend bytes and collects backend bytes until ReadyForQuery (or close). */
function rawExchange(port, packets) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const received = []
    let step = 0
    const sendNext = () => {
      if (step < packets.length) socket.write(packets[step++])
      else socket.end()
    }
    socket.once("connect", sendNext)
    socket.on("data", (chunk) => {
      received.push(chunk)
      if (endsWithReadyForQuery(Buffer.concat(received))) {
        received.length = 0
        sendNext()
      }
    })
    socket.once("error", reject)
    socket.once("close", () => resolve())
  })
}

// Walks length-prefixed typed messages; true if the last whole one is 'Z' and nothing trails.
function endsWithReadyForQuery(buf) {
  let at = 0
  let last = -1
  while (at + 5 <= buf.length) {
    const len = buf.readUInt32BE(at + 1)
    if (at + 1 + len > buf.length) return false
    last = buf[at]
    at += 1 + len
  }
  return at === buf.length && last === 0x5a
}

function startupPacket(major, minor, params) {
  const body = Buffer.concat([...Object.entries(params).flatMap(([k, v]) => [Buffer.from(`${k}\0${v}\0`)]), Buffer.from([0])])
  const head = Buffer.alloc(8)
  head.writeUInt32BE(8 + body.length, 0)
  head.writeUInt16BE(major, 4)
  head.writeUInt16BE(minor, 6)
  return Buffer.concat([head, body])
}

function typedMessage(type, body) {
  const head = Buffer.alloc(5)
  head[0] = type.charCodeAt(0)
  head.writeUInt32BE(4 + body.length, 1)
  return Buffer.concat([head, body])
}

scenarios["negotiate-3.2"] = async (cluster, proxy) => {
  const { written } = await proxy.record(["negotiate-3.2"], (port) =>
    rawExchange(port, [
      startupPacket(3, 2, { user: "trust_user", database: "postgres", application_name: "golden-raw", "_pq_.golden_option": "on" }),
      typedMessage("Q", Buffer.from("SELECT 1\0")),
      typedMessage("X", Buffer.alloc(0))
    ])
  )
  return {
    written,
    description:
      "raw bytes: StartupMessage version 3.2 with option _pq_.golden_option=on as trust_user; PostgreSQL 15 answers NegotiateProtocolVersion (newest minor 0, unrecognized _pq_.golden_option), then completes startup at 3.0; then Query 'SELECT 1' and Terminate"
  }
}

scenarios["cancel"] = async (cluster, proxy) => {
  const { written, result } = await proxy.record(["cancel-query", "cancel-request"], async (port) => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "trust_user", database: "postgres", ssl: false, application_name: "golden-cancel" })
    await client.connect()
    try {
      const sleeping = client.query("SELECT pg_sleep(30)").then(() => "no error", (e) => e.code)
      // Wait until the sleep is really running, then cancel it with a raw CancelRequest.
      for (let i = 0; i < 200; i++) {
        const n = await cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
        if (n.trim() === "1") break
        await new Promise((r) => setTimeout(r, 25))
      }
      const cancel = Buffer.alloc(16)
      cancel.writeUInt32BE(16, 0)
      cancel.writeUInt32BE(80877102, 4)
      cancel.writeUInt32BE(client.processID >>> 0, 8)
      cancel.writeUInt32BE(client.secretKey >>> 0, 12)
      await new Promise((resolve, reject) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => s.end(cancel))
        s.resume()
        s.once("close", resolve)
        s.once("error", reject)
      })
      return { code: await sleeping, processID: client.processID, secretKey: client.secretKey >>> 0 }
    } finally {
      await client.end()
    }
  })
  if (result.code !== "57014") throw new Error(`cancel: ${JSON.stringify(result)}`)
  return {
    written,
    description:
      "node-postgres as trust_user runs SELECT pg_sleep(30) (cancel-query); a second raw connection sends CancelRequest with its BackendKeyData (cancel-request, no answer); the query ends with 57014"
  }
}

// --- logical replication ---------------------------------------------------------------------

const REPL_SETUP = `
CREATE TYPE golden_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE repl_items (id int4 PRIMARY KEY, name text NOT NULL, qty int8, mood golden_mood, note text);
CREATE TABLE repl_full (k text, v numeric);
ALTER TABLE repl_full REPLICA IDENTITY FULL;
CREATE TABLE repl_stream (id int4 PRIMARY KEY, label text);
CREATE PUBLICATION p FOR TABLE repl_items, repl_full;
CREATE PUBLICATION p2 FOR TABLE repl_stream;
SELECT pg_replication_origin_create('golden_origin');
`

// Several transactions covering every pgoutput v1 message: Relation, Type (enum), Insert,
// Update with key ('K') and full ('O') old tuples and an unchanged TOAST column ('u'),
// Delete, Origin, logical Message, Truncate.
const REPL_CHANGES_V1 = `
BEGIN;
INSERT INTO repl_items VALUES (1, 'one', 10, 'happy', NULL), (2, 'two', 20, 'ok', 'short note');
INSERT INTO repl_items VALUES (3, 'three', 30, 'sad', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) g));
COMMIT;
BEGIN;
UPDATE repl_items SET qty = qty + 1 WHERE id = 1;
UPDATE repl_items SET id = 20 WHERE id = 2;
UPDATE repl_items SET qty = 31 WHERE id = 3;
DELETE FROM repl_items WHERE id = 1;
COMMIT;
INSERT INTO repl_full VALUES ('a', 1.5), ('b', NULL);
UPDATE repl_full SET v = 2.5 WHERE k = 'a';
DELETE FROM repl_full WHERE k = 'b';
SELECT pg_replication_origin_session_setup('golden_origin');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/ABCDEF', '2024-01-02 03:04:05+00');
INSERT INTO repl_items VALUES (4, 'from origin', 40, NULL, NULL);
COMMIT;
SELECT pg_replication_origin_session_reset();
BEGIN;
SELECT pg_logical_emit_message(true, 'golden_prefix', 'transactional message');
INSERT INTO repl_items VALUES (5, 'with message', 50, 'ok', NULL);
COMMIT;
SELECT pg_logical_emit_message(false, 'golden_prefix', 'non-transactional message');
TRUNCATE repl_items, repl_full RESTART IDENTITY;
`

// Enough rows to pass logical_decoding_work_mem=64kB (the minimum) so the transaction streams.
const STREAM_ROWS = 600

function replChangesV2(rows) {
  return `
INSERT INTO repl_stream SELECT g, 'streamed ' || g FROM generate_series(1, ${rows}) g;
BEGIN;
INSERT INTO repl_stream SELECT g, 'aborted ' || g FROM generate_series(${rows + 1}, ${2 * rows}) g;
ROLLBACK;
INSERT INTO repl_stream VALUES (-1, 'small');
`
}

async function recvlogical(proxyPort, args, { timeoutMs = 30_000 } = {}) {
  const conninfo = `host=127.0.0.1 port=${proxyPort} dbname=postgres user=repl_user sslmode=disable gssencmode=disable application_name=golden-recvlogical`
  return run(path.join(PG_BIN, "pg_recvlogical"), ["-d", conninfo, ...args], {
    env: libpqEnv({ PGPASSWORD: "repl_pass" }),
    timeoutMs
  })
}

const currentLsn = async (cluster) => (await cluster.psql("SELECT pg_current_wal_lsn()")).trim()

scenarios["replication"] = async (cluster, proxy) => {
  await cluster.psql(REPL_SETUP)
  const slot = await proxy.record(["replication-create-slot"], (port) =>
    recvlogical(port, ["--create-slot", "-S", "golden_slot", "-P", "pgoutput"])
  )
  await cluster.psql(REPL_CHANGES_V1)
  const endV1 = await currentLsn(cluster)
  const v1 = await proxy.record(["replication-pgoutput"], (port) =>
    recvlogical(port, ["--start", "-S", "golden_slot", "-o", "proto_version=1", "-o", "publication_names=p", "-o", "messages=true",
      "--endpos", endV1, "-s", "1", "-f", "-"])
  )

  // proto_version 2 with streaming: a slot created after the v1 changes, a memory limit of 64 kB.
  await cluster.psql("SELECT pg_create_logical_replication_slot('golden_slot_v2', 'pgoutput')")
  await cluster.psql(replChangesV2(STREAM_ROWS))
  const endV2 = await currentLsn(cluster)
  const v2 = await proxy.record(["replication-pgoutput-v2"], (port) =>
    recvlogical(port, ["--start", "-S", "golden_slot_v2", "-o", "proto_version=2", "-o", "publication_names=p2", "-o", "streaming=on",
      "--endpos", endV2, "-s", "1", "-f", "-"])
  )
  return {
    written: [...slot.written, ...v1.written, ...v2.written],
    description:
      "pg_recvlogical as repl_user (SCRAM, replication=database): replication-create-slot = IDENTIFY_SYSTEM + CREATE_REPLICATION_SLOT golden_slot LOGICAL pgoutput; replication-pgoutput = START_REPLICATION proto_version 1, publication p, messages=true, to endpos, with the v1 changes (see REPL_CHANGES_V1 in the script); replication-pgoutput-v2 = proto_version 2 streaming=on, publication p2, logical_decoding_work_mem=64kB: a streamed committed insert, a streamed aborted insert, a small non-streamed insert",
    endpos: { v1: endV1, v2: endV2 },
    streamRows: STREAM_ROWS
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const only = process.argv.slice(2)
  for (const name of only) if (!(name in scenarios)) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(", ")}`)
  fs.mkdirSync(GOLDEN_DIR, { recursive: true })
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-ts-golden-"))
  const cluster = await startPostgres({ logical: true, settings: { logical_decoding_work_mem: "64kB", TimeZone: "UTC" } })
  const proxy = new RecordingProxy(cluster.port)
  await proxy.listen()
  const manifestPath = path.join(GOLDEN_DIR, "manifest.json")
  const manifest = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, "utf8")) : { scenarios: {} }
  try {
    manifest.server = (await cluster.psql("SELECT version()")).trim()
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (only.length > 0 && !only.includes(name)) continue
      const info = await scenario(cluster, proxy, work)
      manifest.scenarios[name] = { ...info, capturedAt: new Date().toISOString() }
      for (const w of info.written) console.log(`${w.name}: ${w.feBytes} frontend bytes, ${w.beBytes} backend bytes`)
    }
    fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n")
  } catch (err) {
    console.error(err)
    console.error("--- server log (tail) ---\n" + cluster.log().slice(-4000))
    process.exitCode = 1
  } finally {
    await proxy.close()
    await cluster.stop()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

await main()
