/**
 * Our client vs node-postgres (`pg`) and postgres.js against one throwaway
 * PostgreSQL 15 (plain TCP on 127.0.0.1, trust auth), each on one connection:
 *
 * - 20,000 parameterized single-row SELECTs awaited one after another;
 * - the same 20,000 issued at once (pipelined where the driver can: ours and
 *   postgres.js; pg queues them and sends one at a time). Ours three ways:
 *   Effect.forEach with unbounded concurrency (a fiber per query: Effect's cost
 *   shows), with 256 in flight, and client.pipeline (one Sync for all);
 * - one 1,000,000-row SELECT (int4, text, float8 columns) collected into row objects.
 *
 * Every variant runs `--rounds` times (after one warm-up), interleaved; the
 * median time counts. Prints a table and, last, `BENCH_RESULT <json>` rows
 * ({ name, unit, ours, peer, peerName }) for bench/run.mjs.
 *
 * Usage: npx tsc -b && node bench/client.mjs [--rounds 3] [--queries 20000] [--rows 1000000]
 */
import { Client } from "@pgwire-ts/client"
import { Effect, Exit, Scope } from "effect"
import { parseArgs } from "node:util"
import { performance } from "node:perf_hooks"
import pg from "pg"
import postgres from "postgres"
import { startPostgres } from "../test-support/postgres.mjs"

// pg warns when queries are queued on a busy client; queueing is what we measure.
process.noDeprecation = true

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    queries: { type: "string", default: "20000" },
    rows: { type: "string", default: "1000000" }
  }
})
const ROUNDS = Number(args.rounds)
const QUERIES = Number(args.queries)
const ROWS = Number(args.rows)

const SINGLE = "SELECT $1::int4 AS n, 'row ' || $1::int4 AS t"
const BIG = `SELECT i, 'row ' || i AS t, i * 0.5::float8 AS f FROM generate_series(1, ${ROWS}) i`

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const check = (cond, what) => {
  if (!cond) throw new Error(`benchmark self-check failed: ${what}`)
}

// ---- the three drivers, each as { name, sequential, pipelined, big, close } ----

const ours = async (url) => {
  const scope = Effect.runSync(Scope.make())
  const client = await Effect.runPromise(Scope.extend(Client.connect(url), scope))
  const run = (effect) => Effect.runPromise(effect)
  return {
    name: "ours",
    sequential: () =>
      run(Effect.gen(function*() {
        for (let i = 0; i < QUERIES; i++) {
          const r = yield* client.execute(SINGLE, [i])
          if (i === QUERIES - 1) check(r.rows[0].n === i, "ours sequential")
        }
      })),
    pipelined: () =>
      run(Effect.forEach(Array.from({ length: QUERIES }, (_, i) => i), (i) => client.execute(SINGLE, [i]), { concurrency: "unbounded" })).then(
        (rs) => check(rs.length === QUERIES && rs[QUERIES - 1].rows[0].n === QUERIES - 1, "ours pipelined")
      ),
    pipelined256: () =>
      run(Effect.forEach(Array.from({ length: QUERIES }, (_, i) => i), (i) => client.execute(SINGLE, [i]), { concurrency: 256 })).then(
        (rs) => check(rs.length === QUERIES && rs[QUERIES - 1].rows[0].n === QUERIES - 1, "ours pipelined 256")
      ),
    pipeline: () =>
      run(client.pipeline(Array.from({ length: QUERIES }, (_, i) => ({ statement: SINGLE, params: [i] })))).then(
        (rs) => check(rs.length === QUERIES && rs[QUERIES - 1].rows[0].n === QUERIES - 1, "ours pipeline")
      ),
    big: () => run(client.execute(BIG)).then((r) => check(r.rows.length === ROWS && r.rows[ROWS - 1].i === ROWS, "ours big")),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const nodePostgres = async (url) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return {
    name: "pg",
    sequential: async () => {
      for (let i = 0; i < QUERIES; i++) {
        const r = await client.query(SINGLE, [i])
        if (i === QUERIES - 1) check(r.rows[0].n === i, "pg sequential")
      }
    },
    pipelined: async () => {
      const rs = await Promise.all(Array.from({ length: QUERIES }, (_, i) => client.query(SINGLE, [i])))
      check(rs[QUERIES - 1].rows[0].n === QUERIES - 1, "pg pipelined")
    },
    big: async () => {
      const r = await client.query(BIG)
      check(r.rows.length === ROWS && r.rows[ROWS - 1].i === ROWS, "pg big")
    },
    close: () => client.end()
  }
}

const postgresJs = async (url) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  await sql`SELECT 1`
  return {
    name: "postgres.js",
    sequential: async () => {
      for (let i = 0; i < QUERIES; i++) {
        const r = await sql.unsafe(SINGLE, [i])
        if (i === QUERIES - 1) check(r[0].n === i, "postgres.js sequential")
      }
    },
    pipelined: async () => {
      const rs = await Promise.all(Array.from({ length: QUERIES }, (_, i) => sql.unsafe(SINGLE, [i])))
      check(rs[QUERIES - 1][0].n === QUERIES - 1, "postgres.js pipelined")
    },
    big: async () => {
      const r = await sql.unsafe(BIG)
      check(r.length === ROWS && r[ROWS - 1].i === ROWS, "postgres.js big")
    },
    close: () => sql.end()
  }
}

// ---- measurement -----------------------------------------------------------------------

const time = async (fn) => {
  globalThis.gc?.()
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

const cluster = await startPostgres({ settings: { max_connections: "20" } })
try {
  const url = `${cluster.url("trust_user")}?sslmode=disable`
  const drivers = [await ours(url), await nodePostgres(url), await postgresJs(url)]
  const cases = ["sequential", "pipelined", "big"]
  // Our extra variants of the pipelined case, timed in the same rounds.
  const extra = ["pipelined256", "pipeline"]
  const times = Object.fromEntries(cases.map((c) => [c, Object.fromEntries(drivers.map((d) => [d.name, []]))]))
  for (const x of extra) times[x] = { ours: [] }
  for (const c of cases) for (const d of drivers) await d[c]() // warm-up
  for (const x of extra) await drivers[0][x]()
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      for (let k = 0; k < drivers.length; k++) {
        const d = drivers[(round + k) % drivers.length]
        times[c][d.name].push(await time(() => d[c]()))
      }
      if (c === "pipelined") for (const x of extra) times[x].ours.push(await time(() => drivers[0][x]()))
    }
  }
  for (const d of drivers) await d.close()

  const label = {
    sequential: `${QUERIES} parameterized SELECTs, sequential`,
    pipelined: `${QUERIES} parameterized SELECTs, all at once`,
    pipelined256: `  ours with 256 in flight`,
    pipeline: `  ours as one pipeline() (one Sync)`,
    big: `one ${ROWS}-row SELECT`
  }
  const rows = []
  process.stdout.write(`\nclient vs pg and postgres.js (PostgreSQL 15, one connection each, median of ${ROUNDS} rounds, ms)\n`)
  process.stdout.write(`${"case".padEnd(46)}${"ours".padStart(10)}${"pg".padStart(10)}${"postgres.js".padStart(13)}${"pg/ours".padStart(10)}${"pjs/ours".padStart(10)}\n`)
  for (const c of ["sequential", "pipelined", "pipelined256", "pipeline", "big"]) {
    const peersOf = extra.includes(c) ? "pipelined" : c
    const m = Object.fromEntries(drivers.map((d) => [d.name, median(times[peersOf][d.name])]))
    m.ours = median(times[c].ours)
    process.stdout.write(
      `${label[c].padEnd(46)}${m.ours.toFixed(0).padStart(10)}${m.pg.toFixed(0).padStart(10)}${m["postgres.js"].toFixed(0).padStart(13)}` +
        `${(m.pg / m.ours).toFixed(2).padStart(9)}x${(m["postgres.js"] / m.ours).toFixed(2).padStart(9)}x\n`
    )
    for (const peer of ["pg", "postgres.js"]) {
      rows.push({ name: `client: ${label[c]}`, unit: "ms", lowerIsBetter: true, ours: m.ours, peer: m[peer], peerName: peer })
    }
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(rows)}\n`)
} finally {
  await cluster.stop()
}
