/**
 * Runs every benchmark in sequence, each in its own node process, then prints
 * one summary table of ratios measured in this run.
 *
 *   npm run bench                          (builds first, then runs all)
 *   node bench/run.mjs codec-decode server-stream   (only those)
 *
 * Numbers depend on the machine and on what else runs on it: compare ratios
 * from one run, not absolute numbers across runs.
 */
import { spawn } from "node:child_process"
import os from "node:os"
import { fileURLToPath } from "node:url"
import { RESULT_MARKER, printTable } from "./lib/report.mjs"

const BENCHMARKS = ["codec-decode", "codec-encode", "server-pgbench", "server-stream", "client"]

const wanted = process.argv.slice(2)
for (const name of wanted) {
  if (!BENCHMARKS.includes(name)) {
    console.error(`unknown benchmark ${name}; choose from ${BENCHMARKS.join(", ")}`)
    process.exit(2)
  }
}
const selected = wanted.length > 0 ? wanted : BENCHMARKS

const runOne = (name) =>
  new Promise((resolve) => {
    const script = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url))
    const child = spawn(process.execPath, ["--expose-gc", script], { stdio: ["ignore", "pipe", "inherit"] })
    let pending = ""
    let rows
    child.stdout.setEncoding("utf8").on("data", (d) => {
      pending += d
      let nl
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (line.startsWith(RESULT_MARKER)) rows = JSON.parse(line.slice(RESULT_MARKER.length))
        else process.stdout.write(line + "\n")
      }
    })
    child.on("exit", (code, signal) => {
      if (code !== 0 || rows === undefined) {
        resolve([{ name, skipped: `the benchmark failed (exit ${code ?? signal}); see its output above` }])
      } else {
        resolve(rows)
      }
    })
  })

const load = os.loadavg().map((l) => l.toFixed(1)).join(" ")
process.stdout.write(
  `pgwire-ts benchmarks: node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, load average ${load}\n`
)
const all = []
for (const name of selected) {
  process.stdout.write(`\n=== ${name} ===\n`)
  all.push(...(await runOne(name)))
}
printTable(`Summary (load average now ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`, all)
