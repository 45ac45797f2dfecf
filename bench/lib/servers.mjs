/**
 * The servers the server benchmarks compare: our fixed-result example run as a
 * child process (so its memory can be read from /proc), and a throwaway
 * PostgreSQL 15 cluster from test-support. Also the client tools they use.
 */
import { spawn, spawnSync } from "node:child_process"
import fs from "node:fs"
import { fileURLToPath } from "node:url"
import { freePort } from "../../test-support/net.mjs"

export const PG_BIN = "/usr/lib/postgresql/15/bin"
export const PGBENCH = `${PG_BIN}/pgbench`
export const PSQL = "/usr/bin/psql"

const FIXED_MAIN = fileURLToPath(new URL("../../examples/fixed/dist/main.js", import.meta.url))

/**
 * Whether the fixed example can run: built, and everything it imports resolves
 * (its server layer is imported once here to find out).
 * @returns {Promise<{ ok: true } | { ok: false, reason: string }>}
 */
export const fixedAvailable = async () => {
  if (!fs.existsSync(FIXED_MAIN)) return { ok: false, reason: `examples/fixed is not built (${FIXED_MAIN} is missing; npm run build)` }
  try {
    await import(new URL("../../examples/fixed/dist/FixedServer.js", import.meta.url).href)
  } catch (e) {
    return { ok: false, reason: `examples/fixed does not load: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` }
  }
  return { ok: true }
}

/** Whether the PostgreSQL 15 binaries and client tools the benchmarks need are installed. */
export const postgresAvailable = () => {
  for (const bin of [`${PG_BIN}/postgres`, `${PG_BIN}/initdb`, PGBENCH, PSQL]) {
    if (!fs.existsSync(bin)) return { ok: false, reason: `${bin} is not installed` }
  }
  return { ok: true }
}

/**
 * Starts examples/fixed on a free 127.0.0.1 port. Resolves once it prints
 * `listening on`; `stop()` sends SIGTERM (graceful) and waits for the exit.
 * @param {{ series?: number }} [options]
 */
export const startFixed = async (options = {}) => {
  const port = await freePort()
  const args = [FIXED_MAIN, "--host", "127.0.0.1", "--port", String(port)]
  if (options.series !== undefined) args.push("--series", String(options.series))
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
  let log = ""
  child.stdout.setEncoding("utf8").on("data", (d) => (log += d))
  child.stderr.setEncoding("utf8").on("data", (d) => (log += d))
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)))
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`examples/fixed did not start in 30 s:\n${log}`))
    }, 30_000)
    const onData = () => {
      if (!log.includes("listening on")) return
      clearTimeout(timer)
      child.stdout.off("data", onData)
      resolve()
    }
    child.stdout.on("data", onData)
    exited.then((how) => {
      clearTimeout(timer)
      reject(new Error(`examples/fixed exited (${how}) before listening:\n${log}`))
    })
  })
  const killOnExit = () => child.kill("SIGKILL")
  process.once("exit", killOnExit)
  return {
    port,
    pid: child.pid,
    log: () => log,
    async stop() {
      process.off("exit", killOnExit)
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** Starts a PostgreSQL 15 cluster (only the `postgres` role, trust on 127.0.0.1). */
export const startPostgresForBench = async () => {
  const { startPostgres } = await import("../../test-support/postgres.mjs")
  return startPostgres({ defaultUsers: false })
}

/** Fields of /proc/<pid>/status in kB (VmRSS, VmHWM...), or undefined once the process is gone. */
export const procStatusKb = (pid) => {
  let text
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  } catch {
    return undefined
  }
  const out = {}
  for (const line of text.split("\n")) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line)
    if (m) out[m[1]] = Number(m[2])
  }
  return out
}

const CLOCK_TICKS_PER_SECOND = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" })
  const n = Number(r.stdout?.trim())
  return Number.isFinite(n) && n > 0 ? n : 100
})()

/**
 * CPU time (user + system, ms) a process has used, from /proc/<pid>/stat; with
 * `children`, plus the time of its children that have exited and been waited
 * for (how a PostgreSQL postmaster accounts for its finished backends).
 */
export const procCpuMs = (pid, { children = false } = {}) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND
}

/** Pids whose parent is `pid` (from /proc/<pid>/task/<pid>/children, else by scanning /proc). */
export const childPids = (pid) => {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    const out = []
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
        if (ppid === pid) out.push(Number(entry))
      } catch {
        // gone meanwhile
      }
    }
    return out
  }
}

/**
 * Runs a command to completion. Resolves with its exit code, stdout, stderr and
 * wall time; stdout can be discarded (`stdout: "ignore"`) or counted in lines.
 */
export const runTool = (command, args, { stdout = "pipe", env, onSpawn, timeoutMs = 600_000 } = {}) =>
  new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(command, args, {
      stdio: ["ignore", stdout === "ignore" ? "ignore" : "pipe", "pipe"],
      env: { ...process.env, PGCONNECT_TIMEOUT: "10", ...env }
    })
    let out = ""
    let err = ""
    let lines = 0
    if (stdout === "lines") {
      child.stdout.on("data", (d) => {
        for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++
      })
    } else if (stdout === "pipe") {
      child.stdout.setEncoding("utf8").on("data", (d) => (out += d))
    }
    child.stderr.setEncoding("utf8").on("data", (d) => (err += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.once("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    onSpawn?.(child)
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? signal, stdout: out, stderr: err, lines, ms: Number(process.hrtime.bigint() - t0) / 1e6 })
    })
  })

/** The PostgreSQL server version string (`SHOW server_version`) at a port, via psql. */
export const serverVersion = (port) => {
  const r = spawnSync(PSQL, ["-X", "-At", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", "SHOW server_version"], {
    encoding: "utf8",
    env: { ...process.env, PGCONNECT_TIMEOUT: "10" }
  })
  return r.status === 0 ? r.stdout.trim() : `unknown (${r.stderr.trim()})`
}
