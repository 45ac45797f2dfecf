/**
 * Streaming a large result to psql: 1,000,000 rows x 4 columns from our
 * fixed-result example (`SELECT 1000000`: id int4, label text, value float8,
 * even bool) vs PostgreSQL 15's
 * `SELECT g, g*2, 'text'||g, now() FROM generate_series(1,1000000) g`.
 * Reports psql's wall time (output to /dev/null; psql itself buffers the whole
 * result to align it, the same for both) and the server's peak RSS: VmHWM of
 * our server process (it runs as a child of this script; its RSS before the
 * query is shown too), and VmHWM of the PostgreSQL backend process that served
 * the query (sampled every 10 ms while psql runs; it includes the shared
 * memory pages the backend touched). Also the server's CPU time for the query
 * (/proc utime+stime of our process; of the postmaster's reaped backends for
 * PostgreSQL).
 *
 * Usage: node bench/server-stream.mjs [--rows 1000000] [--repeats 1]
 */
import { parseArgs } from "node:util"
import { emitResult, printTable } from "./lib/report.mjs"
import {
  PSQL,
  childPids,
  fixedAvailable,
  postgresAvailable,
  procCpuMs,
  procStatusKb,
  runTool,
  serverVersion,
  startFixed,
  startPostgresForBench
} from "./lib/servers.mjs"

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    repeats: { type: "string", default: "1" }
  }
})
const rows = Number(args.rows)
const NAMES = [`stream ${rows.toLocaleString("en-US")} rows x 4 cols to psql`, "server CPU for that query", "server peak RSS while streaming"]

const skip = (reason) => {
  process.stdout.write(`server stream: SKIPPED: ${reason}\n`)
  emitResult(NAMES.map((name) => ({ name, skipped: reason })))
  process.exit(0)
}

const pgOk = postgresAvailable()
if (!pgOk.ok) skip(pgOk.reason)
const fixedOk = await fixedAvailable()
if (!fixedOk.ok) skip(fixedOk.reason)

const psqlArgs = (port, sql, extra = []) => ["-X", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", ...extra, "-c", sql]
const OURS_SQL = `SELECT ${rows}`
const PG_SQL = `SELECT g, g*2, 'text'||g, now() FROM generate_series(1,${rows}) g`

/** Samples VmHWM of `pid()` every 10 ms until stopped; returns the largest value seen (kB). */
const sampler = (pid) => {
  let peak = 0
  const tick = () => {
    const p = pid()
    if (p === undefined) return
    const s = procStatusKb(p)
    if (s?.VmHWM !== undefined && s.VmHWM > peak) peak = s.VmHWM
  }
  const timer = setInterval(tick, 10)
  return {
    stop() {
      clearInterval(timer)
      tick()
      return peak
    }
  }
}

const runPsql = async (port, sql) => {
  const r = await runTool(PSQL, psqlArgs(port, sql), { stdout: "ignore" })
  if (r.code !== 0) throw new Error(`psql on port ${port} failed (exit ${r.code}): ${r.stderr}`)
  return r.ms
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const ours = await startFixed()
let pg
let out
try {
  pg = await startPostgresForBench()
  const peerName = `PostgreSQL ${serverVersion(pg.port)}`

  const oursBaseline = procStatusKb(ours.pid)
  // Before timing: our answer has the promised number of rows (psql -At prints one line per row).
  const check = await runTool(PSQL, psqlArgs(ours.port, OURS_SQL, ["-At"]), { stdout: "lines" })
  if (check.code !== 0 || check.lines !== rows) throw new Error(`examples/fixed sent ${check.lines} rows for ${OURS_SQL} (exit ${check.code}): ${check.stderr}`)

  const times = { ours: [], peer: [] }
  const cpu = { ours: [], peer: [] }
  let oursPeak = 0
  let pgPeak = 0
  for (let r = 0; r < Number(args.repeats); r++) {
    const order = r % 2 === 0 ? ["ours", "peer"] : ["peer", "ours"]
    for (const who of order) {
      if (who === "ours") {
        const s = sampler(() => ours.pid)
        const cpu0 = procCpuMs(ours.pid)
        times.ours.push(await runPsql(ours.port, OURS_SQL))
        cpu.ours.push(procCpuMs(ours.pid) - cpu0)
        oursPeak = Math.max(oursPeak, s.stop())
      } else {
        // The backend serving psql is the postmaster's child that appears once psql connects.
        const postmaster = Number((await import("node:fs")).readFileSync(`${pg.dataDir}/postmaster.pid`, "utf8").split("\n")[0])
        const before = new Set(childPids(postmaster))
        let backend
        const s = sampler(() => {
          if (backend === undefined) {
            const fresh = childPids(postmaster).filter((p) => !before.has(p))
            if (fresh.length === 1) backend = fresh[0]
          }
          return backend
        })
        const cpu0 = procCpuMs(postmaster, { children: true })
        times.peer.push(await runPsql(pg.port, PG_SQL))
        const peak = s.stop()
        // The backend exits with psql's connection; its CPU shows once the postmaster reaps it.
        await new Promise((resolve) => setTimeout(resolve, 300))
        cpu.peer.push(procCpuMs(postmaster, { children: true }) - cpu0)
        if (backend === undefined) throw new Error("could not find the PostgreSQL backend that served psql")
        pgPeak = Math.max(pgPeak, peak)
      }
      process.stdout.write(`  ${who === "ours" ? "ours" : "PostgreSQL"}: ${times[who].at(-1).toFixed(0)} ms, server CPU ${cpu[who].at(-1).toFixed(0)} ms\n`)
    }
  }
  process.stdout.write(
    `stream to psql: ${rows.toLocaleString("en-US")} rows; ours = examples/fixed (RSS after start ${(oursBaseline.VmRSS / 1024).toFixed(0)} MiB), peer = ${peerName}\n`
  )
  out = [
    {
      name: NAMES[0],
      unit: "ms",
      lowerIsBetter: true,
      ours: median(times.ours),
      peer: median(times.peer),
      peerName,
      note: "psql wall time, output to /dev/null"
    },
    {
      name: NAMES[1],
      unit: "CPU ms",
      lowerIsBetter: true,
      ours: median(cpu.ours),
      peer: median(cpu.peer),
      peerName,
      note: "server user + system CPU time for the query"
    },
    {
      name: NAMES[2],
      unit: "MiB",
      lowerIsBetter: true,
      ours: oursPeak / 1024,
      peer: pgPeak / 1024,
      peerName: `${peerName} backend`,
      note: `VmHWM: our whole node process (${(oursBaseline.VmRSS / 1024).toFixed(0)} MiB after start) vs the PostgreSQL backend`
    }
  ]
} finally {
  await ours.stop()
  await pg?.stop()
}
printTable("Server: stream a large result", out)
emitResult(out)
