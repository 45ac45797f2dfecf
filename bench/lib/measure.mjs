/**
 * Measurement. Each variant of a benchmark runs in its own node process, so
 * one variant's garbage, JIT feedback and V8 heuristics (allocation-site
 * pretenuring, heap sizing) never bill another. A process runs warm-up rounds,
 * then measured rounds, and reports each round's time; the parent starts the
 * variants' processes in turn, `repeats` times over, and reports the median of
 * all rounds per variant.
 *
 * Rounds are timed in CPU time of the process (user + system, which includes
 * V8's GC helper threads) by default: on a shared machine wall time mostly
 * measures how long the process waited for a core. `BENCH_CLOCK=wall` times
 * wall-clock instead.
 */
import { spawn } from "node:child_process"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

export const median = (values) => {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** The clock rounds are timed with, in milliseconds. */
export const clock =
  process.env.BENCH_CLOCK === "wall" ? { name: "wall", now: () => performance.now() } : { name: "cpu", now: cpuMs }

const VARIANT_MARKER = "VARIANT_ROUNDS "

/**
 * In a variant process: runs `fn` `warmup` times, then `rounds` timed times,
 * and prints the round times for the parent. `prepare` runs before each round,
 * outside the timed region. `fn` returns its operation count, which must not change.
 */
export const runRounds = (fn, { warmup = 5, rounds = 10, prepare = () => {} } = {}) => {
  let ops = 0
  for (let i = 0; i < warmup; i++) {
    prepare()
    ops = fn()
  }
  const roundsMs = []
  for (let i = 0; i < rounds; i++) {
    prepare()
    const t0 = clock.now()
    const n = fn()
    roundsMs.push(clock.now() - t0)
    if (n !== ops) throw new Error(`round ${i} did ${n} operations, warm-up did ${ops}`)
  }
  process.stdout.write(`${VARIANT_MARKER}${JSON.stringify({ ops, roundsMs })}\n`)
}

const runProcess = (script, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(script), ...args], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.on("error", reject)
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(VARIANT_MARKER))
      if (code !== 0 || line === undefined) reject(new Error(`${fileURLToPath(script)} ${args.join(" ")} exited with ${code}\n${out}`))
      else resolve(JSON.parse(line.slice(VARIANT_MARKER.length)))
    })
  })

/**
 * In the parent: runs `script --variant <name> ...args` for every variant,
 * `repeats` times round-robin, and gathers the rounds.
 * @returns {Promise<Record<string, { opsPerSec: number, medianMs: number, ops: number, roundsMs: number[] }>>}
 */
export const compareIsolated = async (script, variants, { repeats = 3, args = [] } = {}) => {
  const rounds = Object.fromEntries(variants.map((v) => [v, []]))
  const ops = {}
  for (let r = 0; r < repeats; r++) {
    for (let k = 0; k < variants.length; k++) {
      const name = variants[(r + k) % variants.length]
      const got = await runProcess(script, ["--variant", name, ...args])
      if (ops[name] !== undefined && ops[name] !== got.ops) throw new Error(`${name}: ${got.ops} operations, earlier ${ops[name]}`)
      ops[name] = got.ops
      rounds[name].push(...got.roundsMs)
    }
  }
  const out = {}
  for (const name of variants) {
    const medianMs = median(rounds[name])
    out[name] = { opsPerSec: (ops[name] * 1000) / medianMs, medianMs, ops: ops[name], roundsMs: rounds[name] }
  }
  return out
}
