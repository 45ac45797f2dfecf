import * as NodeCluster from "node:cluster"
import { Deferred, Duration, Effect, type Scope } from "effect"
import type { ServerAddress } from "../Server.js"
import { ServerError } from "../ServerError.js"
import { type ClusterMessage, parseClusterMessage } from "./ClusterMessages.js"
import { SLOT_ENV } from "./ClusterWorker.js"
import { MAX_WORKERS, slotOfProcessId } from "./processIdSpace.js"

const cluster = NodeCluster.default

export interface ClusterOptions {
  /** Worker processes (1..255). */
  readonly workers: number
  /** The script workers run (default: this process's main script, as node:cluster). */
  readonly exec?: string | undefined
  readonly args?: ReadonlyArray<string> | undefined
  /** First delay before a dead worker is replaced; doubles per crash in a row (default 100 ms). */
  readonly restartDelay?: Duration.DurationInput | undefined
  /** Longest delay between restarts (default 10 seconds). */
  readonly maxRestartDelay?: Duration.DurationInput | undefined
  /** How long workers may take to drain on shutdown before they are killed (default 30 seconds). */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}

export interface ClusterWorkerInfo {
  readonly slot: number
  /** The worker's OS process id. */
  readonly pid: number
  /** Whether its server is listening. */
  readonly ready: boolean
}

export interface ClusterPrimaryShape {
  /** The address every worker listens on (the port they share). */
  readonly address: ServerAddress
  /** The live workers by slot. */
  readonly workers: Effect.Effect<ReadonlyArray<ClusterWorkerInfo>>
  /** Workers replaced after they died, since start. */
  readonly restarts: Effect.Effect<number>
}

/** A worker that ran this long is considered healthy: its next crash restarts it after the first delay again. */
const HEALTHY_AFTER_MS = 10_000

interface Slot {
  worker: NodeCluster.Worker | undefined
  ready: boolean
  startedAt: number
  crashesInRow: number
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The primary of a cluster: forks `workers` processes (each runs the server
 * layer through `runWorker`), which share one listening port through
 * node:cluster (the primary accepts and hands connections round-robin).
 * Routes cancels to the worker owning the process id, relays NOTIFY to every
 * other worker, replaces dead workers with backoff. Succeeds once every
 * worker listens; fails with the first worker's startup error. Closing the
 * scope sends every worker the shutdown message (each drains its server),
 * waits `shutdownTimeout`, then kills what is left.
 */
export const makePrimary = (options: ClusterOptions): Effect.Effect<ClusterPrimaryShape, ServerError, Scope.Scope> =>
  Effect.gen(function* () {
    if (!cluster.isPrimary) return yield* new ServerError({ reason: "Cluster primary started inside a cluster worker" })
    const count = options.workers
    if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
      return yield* new ServerError({ reason: `workers must be an integer from 1 to ${MAX_WORKERS}, got ${count}` })
    }
    const restartDelay = Duration.toMillis(Duration.decode(options.restartDelay ?? "100 millis"))
    const maxRestartDelay = Duration.toMillis(Duration.decode(options.maxRestartDelay ?? "10 seconds"))
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? "30 seconds")
    cluster.setupPrimary({
      ...(options.exec !== undefined ? { exec: options.exec } : {}),
      ...(options.args !== undefined ? { args: [...options.args] } : {})
    })

    const slots = new Map<number, Slot>()
    const started = yield* Deferred.make<ServerAddress, ServerError>()
    let address: ServerAddress | undefined
    let stopping = false
    let restarts = 0
    const exited = new Set<NodeCluster.Worker>()
    let onAllExited: (() => void) | undefined

    const sendTo = (slot: number, message: ClusterMessage) => {
      const w = slots.get(slot)?.worker
      if (w !== undefined && w.isConnected()) w.send(message)
    }
    const route = (from: number, message: ClusterMessage): void => {
      switch (message._tag) {
        case "pgwire/cancel":
        case "pgwire/cancelProcess": {
          const owner = slotOfProcessId(message.processId)
          if (owner !== 0 && owner !== from) sendTo(owner, message)
          return
        }
        case "pgwire/notify":
          for (const s of slots.keys()) if (s !== from) sendTo(s, message)
          return
        case "pgwire/ready": {
          const slot = slots.get(from)
          if (slot !== undefined) slot.ready = true
          // A shutdown sent while it was still loading found no listener: repeat it.
          if (stopping) return sendTo(from, { _tag: "pgwire/shutdown" })
          address ??= { _tag: "TcpAddress", hostname: message.hostname, port: message.port }
          if ([...slots.values()].every((s) => s.ready)) Deferred.unsafeDone(started, Effect.succeed(address))
          return
        }
        case "pgwire/failed":
          if (address === undefined) {
            Deferred.unsafeDone(started, Effect.fail(new ServerError({ reason: `cluster worker ${from} failed to start: ${message.reason}` })))
          }
          return
        case "pgwire/shutdown":
          return
      }
    }

    const fork = (slotNo: number): void => {
      const slot = slots.get(slotNo)!
      slot.timer = undefined
      if (stopping) return
      const worker = cluster.fork({ [SLOT_ENV]: String(slotNo) })
      slot.worker = worker
      slot.ready = false
      slot.startedAt = Date.now()
      worker.on("message", (raw: unknown) => {
        const m = parseClusterMessage(raw)
        if (m !== undefined) route(slotNo, m)
      })
      worker.on("error", () => {})
      worker.once("exit", (code, signal) => {
        exited.add(worker)
        if (slot.worker === worker) slot.worker = undefined
        slot.ready = false
        if (stopping) {
          if ([...slots.values()].every((s) => s.worker === undefined)) onAllExited?.()
          return
        }
        if (address === undefined) {
          // Dying before the cluster ever listened is a startup failure, not a crash to retry.
          Deferred.unsafeDone(
            started,
            Effect.fail(new ServerError({ reason: `cluster worker ${slotNo} exited during startup (${signal ?? `code ${code}`})` }))
          )
          return
        }
        slot.crashesInRow = Date.now() - slot.startedAt >= HEALTHY_AFTER_MS ? 0 : slot.crashesInRow + 1
        const delay = Math.min(maxRestartDelay, restartDelay * 2 ** Math.max(0, slot.crashesInRow - 1))
        restarts++
        slot.timer = setTimeout(() => fork(slotNo), delay)
      })
    }

    const stopAll = Effect.gen(function* () {
      stopping = true
      for (const s of slots.values()) if (s.timer !== undefined) clearTimeout(s.timer)
      const live = [...slots.values()].flatMap((s) => (s.worker !== undefined ? [s.worker] : []))
      if (live.length === 0) return
      const allExited = Effect.async<void>((resume) => {
        onAllExited = () => resume(Effect.void)
        if ([...slots.values()].every((s) => s.worker === undefined)) resume(Effect.void)
      })
      for (const w of live) if (w.isConnected()) w.send({ _tag: "pgwire/shutdown" } satisfies ClusterMessage)
      const done = yield* allExited.pipe(Effect.timeout(shutdownTimeout), Effect.option)
      if (done._tag === "None") {
        yield* Effect.logWarning("cluster workers did not stop within the shutdown timeout; killing them")
        for (const s of slots.values()) s.worker?.process.kill("SIGKILL")
        yield* allExited
      }
    })

    yield* Effect.addFinalizer(() => stopAll)
    for (let n = 1; n <= count; n++) {
      slots.set(n, { worker: undefined, ready: false, startedAt: 0, crashesInRow: 0, timer: undefined })
      fork(n)
    }
    const bound = yield* Deferred.await(started)
    return {
      address: bound,
      workers: Effect.sync(() =>
        [...slots.entries()].flatMap(([slot, s]) =>
          s.worker?.process.pid !== undefined ? [{ slot, pid: s.worker.process.pid, ready: s.ready }] : []
        )
      ),
      restarts: Effect.sync(() => restarts)
    } satisfies ClusterPrimaryShape
  })
