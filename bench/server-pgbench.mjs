/**
 * pgbench `SELECT 1` against our fixed-result example and against a real
 * PostgreSQL 15, in the same run: TPS each and the ratio.
 *   -M simple   (goal: ours >= 1.2x PostgreSQL)
 *   -M prepared (goal: ours >= 1.0x PostgreSQL)
 * Both servers run on this machine on 127.0.0.1 and share its cores with
 * pgbench. Our example answers `SELECT 1` with one generated row of four
 * columns (its `SELECT n` rule); PostgreSQL with one int4 column.
 *
 * On a shared machine TPS depends on how much CPU each server gets (our server
 * is one process; PostgreSQL runs a backend process per client), so the server
 * CPU time per transaction is reported too: /proc utime+stime of our process,
 * and of the postmaster plus its finished backends (pgbench's connections end
 * with the run, so their CPU is in the postmaster's cutime/cstime).
 *
 * Usage: node bench/server-pgbench.mjs [--clients 8] [--threads 2] [--duration 10] [--repeats 1] [--modes simple,prepared]
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { parseArgs } from "node:util"
import { emitResult, printTable } from "./lib/report.mjs"
import {
  PGBENCH,
  fixedAvailable,
  postgresAvailable,
  procCpuMs,
  runTool,
  serverVersion,
  startFixed,
  startPostgresForBench
} from "./lib/servers.mjs"

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "8" },
    threads: { type: "string", default: "2" },
    duration: { type: "string", default: "10" },
    repeats: { type: "string", default: "1" },
    modes: { type: "string", default: "simple,prepared" }
  }
})
const modes = args.modes.split(",").filter(Boolean)
const goals = { simple: 1.2, prepared: 1.0 }

const skip = (reason) => {
  process.stdout.write(`server pgbench: SKIPPED: ${reason}\n`)
  emitResult(modes.map((mode) => ({ name: `pgbench SELECT 1 -M ${mode}`, unit: "TPS", skipped: reason })))
  process.exit(0)
}

const pgOk = postgresAvailable()
if (!pgOk.ok) skip(pgOk.reason)
const fixedOk = await fixedAvailable()
if (!fixedOk.ok) skip(fixedOk.reason)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-bench-"))
const script = path.join(dir, "select1.sql")
fs.writeFileSync(script, "SELECT 1;\n")

const pgbench = (port, mode, extra) =>
  runTool(PGBENCH, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-n", "-f", script, "-M", mode, ...extra, "postgres"])

/**
 * One pgbench run: its TPS and the server's CPU microseconds per transaction
 * (`cpuMs()` read before and after), or an error naming what went wrong.
 */
const measureTps = async (port, mode, cpuMs) => {
  const cpu0 = cpuMs()
  const r = await pgbench(port, mode, ["-c", args.clients, "-j", args.threads, "-T", args.duration])
  // Backends exit when pgbench disconnects; give the postmaster a moment to reap them.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const cpu = cpuMs() - cpu0
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout)
  const done = /number of transactions actually processed: (\d+)/.exec(r.stdout)
  const failed = /number of failed transactions: (\d+)/.exec(r.stdout)
  if (r.code !== 0 || tps === null || done === null || (failed !== null && failed[1] !== "0")) {
    throw new Error(`pgbench -M ${mode} on port ${port} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
  }
  return { tps: Number(tps[1]), cpuUsPerTx: (cpu * 1000) / Number(done[1]) }
}

/** A one-transaction probe: undefined when the mode works, else pgbench's error. */
const probe = async (port, mode) => {
  const r = await pgbench(port, mode, ["-c", "1", "-t", "1"])
  if (r.code === 0) return undefined
  return (r.stderr.split("\n").find((l) => l.includes("ERROR")) ?? r.stderr.trim()).trim()
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const ours = await startFixed()
let pg
const rows = []
try {
  pg = await startPostgresForBench()
  const peerName = `PostgreSQL ${serverVersion(pg.port)}`
  const postmasterPid = Number(fs.readFileSync(path.join(pg.dataDir, "postmaster.pid"), "utf8").split("\n")[0])
  const cpuOf = {
    ours: () => procCpuMs(ours.pid),
    peer: () => procCpuMs(postmasterPid, { children: true })
  }
  process.stdout.write(
    `pgbench SELECT 1: ${args.clients} clients, ${args.threads} threads, ${args.duration} s per run, ${args.repeats} run(s) per server; ` +
      `ours = examples/fixed on :${ours.port} (pid ${ours.pid}), peer = ${peerName} on :${pg.port}; ${os.cpus().length} cores shared by all\n`
  )
  for (const mode of modes) {
    const name = `pgbench SELECT 1 -M ${mode}`
    const oursProblem = await probe(ours.port, mode)
    const pgProblem = await probe(pg.port, mode)
    if (pgProblem !== undefined) throw new Error(`PostgreSQL fails pgbench -M ${mode}: ${pgProblem}`)
    if (oursProblem !== undefined) {
      const reason = `examples/fixed does not serve -M ${mode} yet: ${oursProblem}`
      process.stdout.write(`  ${name}: SKIPPED: ${reason}\n`)
      rows.push({ name, unit: "TPS", peerName, skipped: reason })
      continue
    }
    const tps = { ours: [], peer: [] }
    const cpu = { ours: [], peer: [] }
    for (let r = 0; r < Number(args.repeats); r++) {
      // Alternate who goes first, so a slow patch of the machine hits both.
      const order = r % 2 === 0 ? ["ours", "peer"] : ["peer", "ours"]
      for (const who of order) {
        const v = await measureTps(who === "ours" ? ours.port : pg.port, mode, cpuOf[who])
        tps[who].push(v.tps)
        cpu[who].push(v.cpuUsPerTx)
        process.stdout.write(`  ${name}: ${who === "ours" ? "ours" : "PostgreSQL"} ${v.tps.toFixed(0)} TPS, server CPU ${v.cpuUsPerTx.toFixed(0)} us/transaction\n`)
      }
    }
    rows.push({
      name,
      unit: "TPS",
      ours: median(tps.ours),
      peer: median(tps.peer),
      peerName,
      note: `goal >= ${goals[mode] ?? 1}x PostgreSQL`
    })
    rows.push({
      name: `${name}, server CPU`,
      unit: "us/tx",
      lowerIsBetter: true,
      ours: median(cpu.ours),
      peer: median(cpu.peer),
      peerName,
      note: "CPU time of the server per transaction (user + system; PostgreSQL: postmaster + backends)"
    })
  }
} finally {
  await ours.stop()
  await pg?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}
printTable("Server: pgbench", rows)
emitResult(rows)
