import { Server } from "@pgwire-ts/server"
import { spawn } from "node:child_process"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import type { SqliteEngine } from "../../src/engine/SqliteEngine.js"
import { SqliteDatabase } from "../../src/SqliteQueryHandler.js"
import { layer, type SqliteServerOptions } from "../../src/SqliteServer.js"

export interface RunningServer {
  readonly port: number
  readonly engine: SqliteEngine
  readonly stop: () => Promise<void>
}

/** The SQLite example server in this process on a free port (the same Layer main.ts runs). */
export const startServer = async (options: SqliteServerOptions = {}): Promise<RunningServer> => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer({ port: 0, ...options }), scope))
  return {
    port: Context.get(context, Server).address.port,
    engine: Context.get(context, SqliteDatabase),
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly child: ReturnType<typeof spawn>
  readonly finished: Promise<Finished>
}

/**
 * Starts a client program. Asynchronous on purpose: the server under test runs
 * in this process's event loop, so a synchronous exec would deadlock it.
 */
export const start = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string; readonly timeoutMs?: number } = {}
): Running => {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"]
  })
  const finished = new Promise<Finished>((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
  child.stdin!.end(options.input ?? "")
  return { child, finished }
}

export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string; readonly timeoutMs?: number } = {}
): Promise<Finished> => start(command, args, options).finished

/** libpq environment for a connection to the test server (no password file, no service file, no TLS unless asked). */
export const libpqEnv = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
  PGHOST: "127.0.0.1",
  PGPORT: String(port),
  PGUSER: "tester",
  PGDATABASE: "tester",
  PGSSLMODE: "disable",
  PGPASSFILE: "/nonexistent/pgpass",
  PGSERVICEFILE: "/nonexistent/pg_service.conf",
  PGCONNECT_TIMEOUT: "10",
  ...extra
})

export const PSQL = "/usr/bin/psql"
export const PGBENCH = ["/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench"]
/** Debian's python3, which sees python3-psycopg2 (the `python3` on PATH may not). */
export const PYTHON = "/usr/bin/python3"
