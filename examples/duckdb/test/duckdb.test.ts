import { DuckDBInstance } from "@duckdb/node-api"
import { Oid } from "@pgwire-ts/protocol"
import { Chunk, Effect, Stream } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { connect } from "node:net"
import { join } from "node:path"
import pg from "pg"
import Cursor from "pg-cursor"
import postgres from "postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layer } from "../src/DuckDbServer.js"
import { runStatement } from "../src/DuckDbSession.js"
import { parseLoad } from "../src/loadStatement.js"
import { dateText, timeText } from "../src/typeMapping.js"
import { psql, type Running, start } from "./support.js"

const ORDERS = 100_000
const CUSTOMERS = 1_000
const COUNTRIES = ["DE", "FR", "JP", "US"] as const

// Deterministic data, with the expected aggregates computed here in integer cents.
const dir = mkdtempSync(join(tmpdir(), "pgwire-duckdb-"))
const ordersCsv = join(dir, "orders.csv")
const customersCsv = join(dir, "customer's list.csv") // a quote in the path: LOAD's literal escaping
const expected = { byCountry: new Map<string, { orders: number; cents: number }>(), totalCents: 0, maxQuantity: 0 }

const countryOf = (customer: number) => COUNTRIES[customer % COUNTRIES.length]!

beforeAll(() => {
  const customers = ["id,name,country,vip"]
  for (let c = 1; c <= CUSTOMERS; c++) customers.push(`${c},customer ${c},${countryOf(c)},${c % 10 === 0}`)
  writeFileSync(customersCsv, customers.join("\n") + "\n")
  const orders = ["id,customer_id,amount,quantity,ordered_at"]
  for (let i = 1; i <= ORDERS; i++) {
    const customer = ((i * 7919) % CUSTOMERS) + 1
    const cents = (i * 37) % 100_000
    const quantity = (i % 9) + 1
    const day = (i % 28) + 1
    orders.push(`${i},${customer},${(cents / 100).toFixed(2)},${quantity},2024-02-${String(day).padStart(2, "0")}`)
    const agg = expected.byCountry.get(countryOf(customer)) ?? { orders: 0, cents: 0 }
    agg.orders++
    agg.cents += cents
    expected.byCountry.set(countryOf(customer), agg)
    expected.totalCents += cents
    expected.maxQuantity = Math.max(expected.maxQuantity, quantity)
  }
  writeFileSync(ordersCsv, orders.join("\n") + "\n")
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

describe("DuckDB server over CSV files", () => {
  let server: Running
  beforeAll(async () => {
    server = await start(layer({ port: 0, database: { config: { threads: "2" } } }))
  })
  afterAll(() => server.stop())

  it("psql: LOAD makes CSV files tables; counts, a join and an aggregate run in DuckDB", async () => {
    const r = await psql(server.address.port, [
      `LOAD ${quote(ordersCsv)} AS orders; LOAD ${quote(customersCsv)} AS customers`,
      "SELECT count(*) FROM orders",
      "SELECT count(*), count(DISTINCT country) FROM customers",
      `SELECT c.country, count(*), sum(o.amount::DECIMAL(18,2))
         FROM orders o JOIN customers c ON c.id = o.customer_id
         GROUP BY c.country ORDER BY c.country`,
      "SELECT max(quantity), sum(amount::DECIMAL(18,2)) FROM orders"
    ])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    const byCountry = [...expected.byCountry.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([country, agg]) => `${country}|${agg.orders}|${(agg.cents / 100).toFixed(2)}`)
    expect(lines).toEqual([
      // psql prints each statement's command tag: LOAD <rows loaded>.
      `LOAD ${ORDERS}`,
      `LOAD ${CUSTOMERS}`,
      String(ORDERS),
      `${CUSTOMERS}|${COUNTRIES.length}`,
      ...byCountry,
      `${expected.maxQuantity}|${(expected.totalCents / 100).toFixed(2)}`
    ])
  })

  it("node-postgres: the CSV's sniffed column types arrive as PostgreSQL types", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck" })
    await client.connect()
    try {
      await client.query(`LOAD ${quote(customersCsv)} AS customers2`)
      const r = await client.query("SELECT * FROM customers2 WHERE id = 10")
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["id", Oid.int8],
        ["name", Oid.varchar],
        ["country", Oid.varchar],
        ["vip", Oid.bool]
      ])
      expect(r.rows).toEqual([{ id: "10", name: "customer 10", country: countryOf(10), vip: true }])
      const joined = await client.query(
        "SELECT count(*) AS n FROM orders o JOIN customers2 c ON c.id = o.customer_id WHERE c.vip"
      )
      expect(joined.rows).toEqual([{ n: String(ORDERS / 10) }])
    } finally {
      await client.end()
    }
  })

  it("node-postgres: DuckDB types map to PostgreSQL OIDs and text forms", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: server.address.port,
      user: "tester",
      database: "duck",
      // Raw text of every column: what the server sent, not pg's parsing of it.
      types: { getTypeParser: () => (text: string) => text }
    })
    await client.connect()
    try {
      const r = await client.query(`SELECT 1::INTEGER i4, 2::BIGINT i8, 3::SMALLINT i2, 4::UTINYINT u1, 5::UINTEGER u4,
          18446744073709551615::UBIGINT u8, 170141183460469231731687303715884105727::HUGEINT huge,
          1.5::DOUBLE f8, 2.5::FLOAT f4, -12.30::DECIMAL(10,2) num, 'x'::VARCHAR v, true b,
          DATE '2024-02-29' d, DATE '0044-03-15 (BC)' bc, 'infinity'::DATE dinf,
          TIMESTAMP '2024-02-29 13:45:00.5' ts, TIMESTAMPTZ '2024-02-29 13:45:00+02' tstz, TIME '13:45:00.25' t,
          INTERVAL '1 year 2 days 03:04:05' iv, [1, 2, NULL] a_int, ['a', 'b c'] a_text, [DATE '2024-01-01'] a_date,
          uuid '550e8400-e29b-41d4-a716-446655440000' u, '\\x01\\xff'::BLOB bl, '{"k": [1]}'::JSON j,
          {'a': 1} st, NULL::INTEGER nul`)
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["i4", Oid.int4],
        ["i8", Oid.int8],
        ["i2", Oid.int2],
        ["u1", Oid.int2],
        ["u4", Oid.int8],
        ["u8", Oid.numeric],
        ["huge", Oid.numeric],
        ["f8", Oid.float8],
        ["f4", Oid.float4],
        ["num", Oid.numeric],
        ["v", Oid.varchar],
        ["b", Oid.bool],
        ["d", Oid.date],
        ["bc", Oid.date],
        ["dinf", Oid.date],
        ["ts", Oid.timestamp],
        ["tstz", Oid.timestamptz],
        ["t", Oid.time],
        ["iv", Oid.interval],
        ["a_int", Oid._int4],
        ["a_text", Oid._varchar],
        ["a_date", Oid._date],
        ["u", Oid.uuid],
        ["bl", Oid.bytea],
        ["j", Oid.json],
        ["st", Oid.text],
        ["nul", Oid.int4]
      ])
      expect(r.rows[0]).toEqual({
        i4: "1",
        i8: "2",
        i2: "3",
        u1: "4",
        u4: "5",
        u8: "18446744073709551615",
        huge: "170141183460469231731687303715884105727",
        f8: "1.5",
        f4: "2.5",
        num: "-12.30",
        v: "x",
        b: "t",
        d: "2024-02-29",
        bc: "0044-03-15 BC",
        dinf: "infinity",
        ts: "2024-02-29 13:45:00.5",
        tstz: "2024-02-29 11:45:00+00",
        t: "13:45:00.25",
        iv: "1 year 2 days 03:04:05",
        a_int: "{1,2,NULL}",
        a_text: '{a,"b c"}',
        a_date: "{2024-01-01}",
        u: "550e8400-e29b-41d4-a716-446655440000",
        bl: "\\x01ff",
        j: '{"k": [1]}',
        st: "{'a': 1}",
        nul: null
      })
    } finally {
      await client.end()
    }
  })

  it("DuckDB errors carry PostgreSQL SQLSTATEs; transactions report their status", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck" })
    await client.connect()
    try {
      await expect(client.query("SELECT * FROM no_such_table")).rejects.toMatchObject({ code: "42P01" })
      await expect(client.query("SELEC 1")).rejects.toMatchObject({ code: "42601" })
      await expect(client.query("SELECT 'abc'::INTEGER")).rejects.toMatchObject({ code: "22P02" })
      await expect(client.query(`LOAD '${dir}/missing.csv' AS m`)).rejects.toMatchObject({ code: "58030" })
      await client.query("CREATE TABLE t (id INTEGER PRIMARY KEY, note VARCHAR)")
      await client.query("BEGIN")
      const inserted = await client.query("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
      expect(inserted.command).toBe("INSERT")
      expect(inserted.rowCount).toBe(2)
      await expect(client.query("INSERT INTO t VALUES (1, 'dup')")).rejects.toMatchObject({ code: "23505" })
      await client.query("ROLLBACK")
      const r = await client.query("SELECT count(*) AS n FROM t")
      expect(r.rows).toEqual([{ n: "0" }])
      const updated = await client.query("INSERT INTO t VALUES (3, 'c'); UPDATE t SET note = 'z' WHERE id = 3")
      expect((updated as unknown as ReadonlyArray<pg.QueryResult>).map((x) => [x.command, x.rowCount])).toEqual([
        ["INSERT", 1],
        ["UPDATE", 1]
      ])
      const returning = await client.query("INSERT INTO t VALUES (4, 'd'), (5, 'e') RETURNING id, note")
      expect([returning.command, returning.rowCount, returning.rows]).toEqual([
        "INSERT",
        2,
        [
          { id: 4, note: "d" },
          { id: 5, note: "e" }
        ]
      ])
      const deleted = await client.query("DELETE FROM t WHERE id >= 4 RETURNING id")
      expect([deleted.command, deleted.rowCount]).toEqual(["DELETE", 2])
    } finally {
      await client.end()
    }
  })

  it("a huge result streams: the first rows reach the client while DuckDB is still producing", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck" })
    await client.connect()
    client.on("error", () => {})
    // 10^12 rows: materializing this result would never finish.
    const firstRows = await new Promise<Array<unknown>>((resolve, reject) => {
      const seen: Array<unknown> = []
      const query = new pg.Query("SELECT range AS i FROM range(1000000000000)")
      query.on("row", (row: { i: string }) => {
        if (seen.length < 5000) seen.push(row.i)
        if (seen.length === 5000) resolve(seen)
      })
      query.on("error", (e: Error) => reject(e))
      void client.query(query)
    })
    expect(firstRows.slice(0, 3)).toEqual(["0", "1", "2"])
    // Walk away mid-result: the server stops the DuckDB query and keeps serving others.
    ;(client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
    const other = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck" })
    await other.connect()
    expect((await other.query("SELECT 42 AS answer")).rows).toEqual([{ answer: 42 }])
    await other.end()
  })

  it("a CancelRequest stops a long DuckDB query (57014) and the session's next query runs", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck" })
    await client.connect()
    try {
      // Minutes of work for DuckDB: only an interrupt of DuckDB itself lets the next query on this connection run.
      const long = client.query("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b")
      const { processID, secretKey } = client as unknown as { processID: number; secretKey: number }
      let settled = false
      long.then(
        () => (settled = true),
        () => (settled = true)
      )
      // A cancel that arrives before the query starts is ignored (as by PostgreSQL): repeat until it lands.
      // Each one is processed before its connection closes, so none can hit the next query.
      while (!settled) {
        await sendCancel(server.address.port, processID, secretKey)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await expect(long).rejects.toMatchObject({ code: "57014" })
      expect((await client.query("SELECT 7 AS n")).rows).toEqual([{ n: 7 }])
    } finally {
      await client.end()
    }
  })
})

describe("extended query protocol", () => {
  let server: Running
  beforeAll(async () => {
    server = await start(layer({ port: 0, database: { config: { threads: "2" } } }))
    const client = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck" })
    await client.connect()
    await client.query(`LOAD ${quote(ordersCsv)} AS orders; LOAD ${quote(customersCsv)} AS customers`)
    await client.end()
  })
  afterAll(() => server.stop())

  const connectPg = async (config: Partial<pg.ClientConfig> = {}) => {
    const client = new pg.Client({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck", ...config })
    await client.connect()
    return client
  }

  it("node-postgres: parameters in a join and an aggregate", async () => {
    const client = await connectPg()
    try {
      const r = await client.query({
        text: `SELECT c.country, count(*) AS n, sum(o.quantity) AS q, max(o.ordered_at) AS last, bool_or(c.vip) AS any_vip
          FROM orders o JOIN customers c ON c.id = o.customer_id
          WHERE c.country = $1 AND o.id <= $2 GROUP BY c.country`,
        values: ["JP", 50_000]
      })
      let n = 0
      let q = 0
      for (let i = 1; i <= 50_000; i++) {
        if (countryOf(((i * 7919) % CUSTOMERS) + 1) === "JP") {
          n++
          q += (i % 9) + 1
        }
      }
      expect(r.rows).toEqual([{ country: "JP", n: String(n), q: String(q), last: new Date(2024, 1, 28), any_vip: true }])
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["country", Oid.varchar],
        ["n", Oid.int8],
        ["q", Oid.numeric],
        ["last", Oid.date],
        ["any_vip", Oid.bool]
      ])
    } finally {
      await client.end()
    }
  })

  it("psycopg (libpq): binary parameters and binary results of every mapped type equal the text ones", async () => {
    const out = await psycopgTextVsBinary(
      `host=127.0.0.1 port=${server.address.port} user=tester dbname=duck`,
      `SELECT %s::INTEGER + 1 AS i4, %s::BIGINT AS i8, %s::DOUBLE AS f8, 2.5::FLOAT AS f4, -12.30::DECIMAL(10,2) AS num,
          %s::BOOLEAN AS b, %s::DATE AS d, TIMESTAMP '2024-02-29 13:45:00.5' AS ts, TIMESTAMPTZ '2024-02-29 13:45:00+02' AS tstz,
          TIME '13:45:00.25' AS t, INTERVAL '2 days 03:04:05.5' AS iv, [1, 2, NULL] AS a_int, ['a', 'b c'] AS a_text,
          uuid '550e8400-e29b-41d4-a716-446655440000' AS u, '\\x01\\xff'::BLOB AS bl, NULL::INTEGER AS nul,
          (SELECT count(*) FROM orders WHERE quantity = %s) AS q9`,
      [41, 2 ** 40, 1.5, true, "2024-02-29", 9]
    )
    expect(out.error).toBeUndefined()
    expect(out.binary).toBe(out.text)
    expect(out.text).toBe(
      "[(42, 1099511627776, 1.5, 2.5, Decimal('-12.30'), True, datetime.date(2024, 2, 29), " +
        "datetime.datetime(2024, 2, 29, 13, 45, 0, 500000), datetime.datetime(2024, 2, 29, 11, 45, tzinfo=datetime.timezone.utc), " +
        "datetime.time(13, 45, 0, 250000), datetime.timedelta(days=2, seconds=11045, microseconds=500000), [1, 2, None], ['a', 'b c'], " +
        `UUID('550e8400-e29b-41d4-a716-446655440000'), b'\\x01\\xff', None, ${Math.floor(ORDERS / 9)})]`
    )
  })

  it("postgres.js: Describe gives parameter types (ParameterDescription) and columns before Execute", async () => {
    const sql = postgres({ host: "127.0.0.1", port: server.address.port, user: "tester", database: "duck", max: 1 })
    try {
      const customer = 42
      const rows = await sql`SELECT id, amount, ordered_at FROM orders WHERE customer_id = ${customer} AND id < ${2000} ORDER BY id`
      const expectedIds: Array<number> = []
      for (let i = 1; i < 2000; i++) if (((i * 7919) % CUSTOMERS) + 1 === customer) expectedIds.push(i)
      expect(rows.map((r) => Number(r.id))).toEqual(expectedIds)
      const described = await sql`SELECT name, vip FROM customers WHERE id = ${7}`.describe()
      expect(described.types).toEqual([Oid.int8])
      expect(described.columns.map((c) => [c.name, c.type])).toEqual([
        ["name", Oid.varchar],
        ["vip", Oid.bool]
      ])
      await expect(sql`SELECT * FROM nope WHERE id = ${1}`).rejects.toMatchObject({ code: "42P01" })
    } finally {
      await sql.end()
    }
  })

  it("pg-cursor: Execute with a row limit reads a 10^12-row result 100 rows at a time (PortalSuspended)", async () => {
    const client = await connectPg()
    try {
      const cursor = client.query(new Cursor("SELECT range AS i FROM range(1000000000000) WHERE range % $1 = 0", [3]))
      const first = await cursor.read(100)
      const second = await cursor.read(100)
      expect(first.map((r: { i: string }) => r.i).slice(0, 3)).toEqual(["0", "3", "6"])
      expect(second[0]).toEqual({ i: "300" })
      await cursor.close()
      expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
    } finally {
      await client.end()
    }
  })
})

// psycopg 3 on libpq: runs the query with text and with binary parameters and results, prints both.
const PSYCOPG_TEXT_VS_BINARY = `
import sys, json, psycopg
try:
    conn = psycopg.connect(sys.argv[1], autocommit=True)
    params = json.loads(sys.argv[3])
    text = conn.execute(sys.argv[2], params).fetchall()
    binary = conn.cursor(binary=True).execute(sys.argv[2], params).fetchall()
    conn.close()
    print(json.dumps({"text": repr(text), "binary": repr(binary)}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__ + ": " + str(e)}))
`

const psycopgTextVsBinary = (conninfo: string, sql: string, params: ReadonlyArray<unknown>) =>
  new Promise<{ text?: string; binary?: string; error?: string }>((resolve, reject) =>
    execFile("/usr/bin/python3", ["-c", PSYCOPG_TEXT_VS_BINARY, conninfo, sql, JSON.stringify(params)], { timeout: 30_000 }, (error, stdout, stderr) =>
      error !== null ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))
    )
  )

/** A CancelRequest on its own connection: length 16, code 80877102, process id, secret key. */
const sendCancel = (port: number, processId: number, secretKey: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      const packet = Buffer.alloc(16)
      packet.writeInt32BE(16, 0)
      packet.writeInt32BE(80877102, 4)
      packet.writeInt32BE(processId, 8)
      packet.writeInt32BE(secretKey, 12)
      socket.end(packet)
    })
    socket.on("close", () => resolve())
    socket.on("error", reject)
  })

describe("engine pieces", () => {
  it("runStatement returns a lazy row stream (take 3 of 10^12 rows)", async () => {
    const instance = await DuckDBInstance.create(":memory:")
    const connection = await instance.connect()
    try {
      const rows = await Effect.runPromise(
        Effect.flatMap(runStatement(connection, "SELECT range AS i, 'r' || range AS s FROM range(1000000000000)"), (result) =>
          result._tag === "Rows" ? Stream.runCollect(Stream.take(result.rows, 3)) : Effect.die("expected rows")
        )
      )
      expect(Chunk.toArray(rows)).toEqual([
        [0n, "r0"],
        [1n, "r1"],
        [2n, "r2"]
      ])
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })

  it("LOAD syntax: quoted paths and identifiers; DuckDB's own LOAD passes through", () => {
    expect(parseLoad("LOAD '/data/it''s.csv' AS t1")).toEqual({ path: "/data/it's.csv", table: "t1" })
    expect(parseLoad(`load 'a.csv' as "My Table";`)).toEqual({ path: "a.csv", table: `"My Table"` })
    expect(parseLoad("LOAD httpfs")).toBeUndefined()
    expect(parseLoad("LOAD 'x.csv' AS t; DROP TABLE y")).toBeUndefined()
  })

  it("dates and times render as PostgreSQL prints them", () => {
    expect(dateText(0)).toBe("1970-01-01")
    expect(dateText(19782)).toBe("2024-02-29")
    expect(dateText(-719528)).toBe("0001-01-01 BC")
    expect(dateText(-719162)).toBe("0001-01-01")
    expect(timeText(0n)).toBe("00:00:00")
    expect(timeText(86_399_999_999n)).toBe("23:59:59.999999")
    expect(timeText(3_600_500_000n)).toBe("01:00:00.5")
  })
})
