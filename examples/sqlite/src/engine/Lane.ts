import { type ChildProcess, fork } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, Queue } from "effect"
import type { FromLane, LaneOptions, ToLane } from "./laneProtocol.js"
import { catalogTypes } from "./pgCatalog.js"
import { SqlError } from "./SqlError.js"

/** What a lane reports to the statement it is running: its messages, or its end. */
export type LaneEvent =
  | Exclude<FromLane, { readonly t: "ready" | "fatal" | "notify" }>
  | { readonly t: "exit"; readonly code: number | null; readonly signal: string | null }

/**
 * The compiled lane entry point. Tests run the engine from `src/` through
 * Vitest, but a child process needs JavaScript, so `src/…` maps to `dist/…`
 * (built by `tsc -b`).
 */
const laneScript = (): string => {
  const beside = fileURLToPath(new URL("./laneProcess.js", import.meta.url))
  if (existsSync(beside)) return beside
  const built = beside.replace(/([\\/])src([\\/])(?!.*[\\/]src[\\/])/, "$1dist$2")
  if (existsSync(built)) return built
  throw new Error(`SQLite lane script not found at ${beside} or ${built}: build the example first (npx tsc -b)`)
}

let nextLaneId = 1

/**
 * One SQLite connection in its own process (see laneProcess.ts), driven from
 * the main thread. It runs one statement at a time: `start` hands the
 * statement's events to the lane's inbox queue.
 */
export class Lane {
  readonly id = nextLaneId++
  /** Answers to the current request; one queue for the lane's life (a request always reads its answers to the end). */
  private readonly inbox = Effect.runSync(Queue.unbounded<LaneEvent>())
  /** The request being answered: anything else (a late answer to an abandoned one) is dropped. */
  private current = -1
  /** The process has exited (killed, crashed, or shut down). */
  dead = false
  /** Set before a kill that cancels the running statement, so its end reads as 57014 with this reason. */
  canceled: "user" | "timeout" | false = false
  /** The settings object last sent to this lane (by identity). */
  settingsSent: object | undefined
  /** pg_notify() calls of the current request (channel, payload), in order. */
  readonly notifies: Array<readonly [string, string]> = []

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (message: FromLane) => {
      const inbox = this.inbox
      if (message.t === "notify") return void this.notifies.push([message.channel, message.payload])
      if (message.t === "ready" || message.t === "fatal" || message.id !== this.current) return
      if (message.t === "rows" && message.done !== undefined) {
        // the statement's last batch carries its end: hand them on as the two events they are
        Queue.unsafeOffer(inbox, { t: "rows", id: message.id, rows: message.rows, more: false, ...(message.columns === undefined ? {} : { columns: message.columns }) })
        Queue.unsafeOffer(inbox, { t: "done", id: message.id, changes: 0, inTransaction: message.done.inTransaction })
      } else Queue.unsafeOffer(inbox, message)
    })
    child.on("exit", (code, signal) => {
      this.dead = true
      Queue.unsafeOffer(this.inbox, { t: "exit", code, signal })
    })
  }

  /** Starts a lane process and waits until its database is open. */
  static spawn(options: LaneOptions): Effect.Effect<Lane, SqlError> {
    return Effect.async<Lane, SqlError>((resume) => {
      let child: ChildProcess
      try {
        child = fork(laneScript(), [JSON.stringify({ ...options, catalog: catalogTypes() })], {
          serialization: "advanced",
          execArgv: [],
          stdio: ["ignore", "inherit", "inherit", "ipc"]
        })
      } catch (error) {
        resume(Effect.fail(new SqlError({ code: "58000", message: `could not start SQLite process: ${String(error)}` })))
        return
      }
      let reason = ""
      const onMessage = (message: FromLane) => {
        if (message.t === "fatal") reason = `: ${message.message}`
        if (message.t !== "ready") return
        cleanup()
        resume(Effect.succeed(new Lane(child)))
      }
      const onExit = (code: number | null) => {
        cleanup()
        resume(Effect.fail(new SqlError({ code: "58000", message: `could not open SQLite database ${options.file}${reason || ` (process exit ${code})`}` })))
      }
      const onError = (error: Error) => {
        cleanup()
        child.kill("SIGKILL")
        resume(Effect.fail(new SqlError({ code: "58000", message: `could not start SQLite process: ${error.message}` })))
      }
      const cleanup = () => {
        child.off("message", onMessage)
        child.off("exit", onExit)
        child.off("error", onError)
      }
      child.on("message", onMessage)
      child.on("exit", onExit)
      child.on("error", onError)
      return Effect.sync(() => {
        cleanup()
        child.kill("SIGKILL")
      })
    })
  }

  /** Sends a request and returns the queue its answers arrive on. */
  start(message: ToLane): Effect.Effect<Queue.Dequeue<LaneEvent>> {
    return Effect.sync(() => {
      this.current = message.id
      this.notifies.length = 0
      if (this.dead) {
        // the exit event was read by the request that saw the lane die; tell this one too
        Queue.unsafeOffer(this.inbox, { t: "exit", code: null, signal: null })
      } else this.send(message)
      return this.inbox
    })
  }

  /** Sends a message to the lane; a lane that has just died reports its exit through the inbox instead. */
  send(message: ToLane): void {
    if (this.dead || !this.child.connected) return
    try {
      this.child.send(message)
    } catch {
      // the exit event follows and ends the statement
    }
  }

  /** Stops the process at once, whatever it is doing: SQLite's journal rolls back its open transaction. */
  kill(): void {
    if (!this.dead) this.child.kill("SIGKILL")
  }

  /** Kills the process and waits until it is gone, so the lane reads as dead. */
  get killAndWait(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.dead) return resume(Effect.void)
      this.child.once("exit", () => resume(Effect.void))
      this.child.kill("SIGKILL")
    })
  }

  /** Asks the process to close its database and exit; kills it if it has not within `graceMs`. */
  shutdown(graceMs: number): Effect.Effect<void> {
    if (this.dead) return Effect.void
    return Effect.async<void>((resume) => {
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs)
      this.child.once("exit", () => {
        clearTimeout(timer)
        resume(Effect.void)
      })
      if (this.child.connected) this.child.disconnect()
      else this.child.kill("SIGKILL")
    })
  }
}
