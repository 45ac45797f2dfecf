import * as NodeCluster from "node:cluster"
import { Cause, Context, Deferred, Effect, Layer, Runtime } from "effect"
import { CancelRegistry } from "../cancel/CancelRegistry.js"
import { Notifications } from "../notifications/Notifications.js"
import { Server } from "../Server.js"
import { ServerError } from "../ServerError.js"
import { type ClusterMessage, decodeKey, encodeKey, parseClusterMessage } from "./ClusterMessages.js"
import { makeClusterCancelRegistry } from "./ClusterCancelRegistry.js"
import { makeClusterNotifications } from "./ClusterNotifications.js"
import { MAX_WORKERS } from "./processIdSpace.js"

/** The environment variable through which the primary gives a worker its slot. */
export const SLOT_ENV = "PGWIRE_CLUSTER_SLOT"

const send = (message: ClusterMessage): void => {
  // The channel is gone when the primary died; this worker is about to exit then.
  if (process.send !== undefined && process.connected) process.send(message)
}

const sendAndWait = (message: ClusterMessage): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (process.send === undefined || !process.connected) return resume(Effect.void)
    process.send(message, undefined, {}, () => resume(Effect.void))
  })

const reasonOf = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause)
  return e instanceof Error ? e.message : Cause.pretty(cause)
}

/** This process's worker slot, when it was forked by a cluster primary. */
export const workerSlot = (): number | undefined => {
  if (!NodeCluster.default.isWorker) return undefined
  const slot = Number(process.env[SLOT_ENV])
  return Number.isInteger(slot) && slot >= 1 && slot <= MAX_WORKERS ? slot : undefined
}

/**
 * Runs `layer` (a `Server.layer` with its handlers) in a cluster worker: its
 * sessions get process ids of this worker's slot, CancelRequests for other
 * workers' sessions and NOTIFYs are relayed through the primary, and the
 * primary's shutdown message (or SIGTERM/SIGINT interrupting this effect)
 * closes the server gracefully. Tells the primary when it listens, or why it
 * could not start. `CancelRegistry` and `Notifications` are provided here:
 * leave them out of `layer` (or they are per process).
 */
export const runWorker = <E, R>(
  layer: Layer.Layer<Server, E, R | CancelRegistry | Notifications>
): Effect.Effect<void, E | ServerError, Exclude<R, CancelRegistry | Notifications>> =>
  Effect.gen(function* () {
    const slot = workerSlot()
    if (slot === undefined) {
      return yield* new ServerError({ reason: `not a cluster worker (no valid ${SLOT_ENV}); start it through Cluster.launch` })
    }
    const registry = makeClusterCancelRegistry(slot, {
      cancel: (processId, secretKey) => send({ _tag: "pgwire/cancel", processId, secretKey: encodeKey(secretKey) }),
      cancelProcess: (processId) => send({ _tag: "pgwire/cancelProcess", processId })
    })
    const notifications = yield* makeClusterNotifications((n) => send({ _tag: "pgwire/notify", ...n }))
    const stop = yield* Deferred.make<void>()
    const runtime = yield* Effect.runtime<never>()
    const run = <A>(e: Effect.Effect<A>) => void Runtime.runFork(runtime)(e)

    const onMessage = (raw: unknown): void => {
      const m = parseClusterMessage(raw)
      if (m === undefined) return
      switch (m._tag) {
        case "pgwire/cancel":
          return run(registry.cancelLocal(m.processId, decodeKey(m.secretKey)))
        case "pgwire/cancelProcess":
          return run(registry.cancelProcessLocal(m.processId))
        case "pgwire/notify":
          return run(notifications.deliverRelayed(m))
        case "pgwire/shutdown":
          return void Deferred.unsafeDone(stop, Effect.void)
      }
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => process.on("message", onMessage)),
      () => Effect.sync(() => process.off("message", onMessage))
    )

    const provided = Layer.provide(
      layer,
      Layer.merge(CancelRegistry.make(registry), Layer.succeed(Notifications, notifications))
    ) as Layer.Layer<Server, E, Exclude<R, CancelRegistry | Notifications>>
    yield* Effect.scoped(
      Effect.gen(function* () {
        const server = yield* Layer.build(provided).pipe(
          // Waits for the message to leave: the process exits right after.
          Effect.tapErrorCause((cause) => sendAndWait({ _tag: "pgwire/failed", reason: reasonOf(cause) }))
        )
        const { address } = Context.get(server, Server)
        send({ _tag: "pgwire/ready", hostname: address.hostname, port: address.port })
        yield* Deferred.await(stop)
      })
    )
  }).pipe(
    Effect.scoped,
    // Drained or failed: closing the IPC channel lets the process end (an open channel keeps it alive).
    Effect.ensuring(Effect.sync(() => NodeCluster.default.worker?.disconnect()))
  )
