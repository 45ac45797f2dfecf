import * as NodeCluster from "node:cluster"
import { Effect, type Layer, type Scope } from "effect"
import type { CancelRegistry } from "../cancel/CancelRegistry.js"
import type { Notifications } from "../notifications/Notifications.js"
import type { Server } from "../Server.js"
import type { ServerError } from "../ServerError.js"
import { type ClusterOptions, type ClusterPrimaryShape, makePrimary } from "./ClusterPrimary.js"
import { runWorker, workerSlot } from "./ClusterWorker.js"

/**
 * Several server processes on one port (node:cluster). The same program runs
 * as the primary and as each worker:
 *
 *   Cluster.launch(Server.layer(options).pipe(Layer.provide(Handler)), { workers: 4 }).pipe(NodeRuntime.runMain)
 */
export const Cluster = {
  /** Whether this process is the primary (not a forked worker). */
  isPrimary: (): boolean => NodeCluster.default.isPrimary,
  /** This worker's slot (1..workers), undefined in the primary. */
  workerSlot,
  /** The primary alone (forks and supervises workers running `options.exec` or this script). */
  primary: (options: ClusterOptions): Effect.Effect<ClusterPrimaryShape, ServerError, Scope.Scope> => makePrimary(options),
  /** The worker alone: runs the server layer until the primary (or a signal) stops it. */
  worker: runWorker,
  /**
   * The primary until interrupted (SIGTERM/SIGINT through `NodeRuntime.runMain`:
   * drains every worker), or the worker: the layer, until the primary stops it.
   */
  launch: <E, R>(
    layer: Layer.Layer<Server, E, R | CancelRegistry | Notifications>,
    options: ClusterOptions
  ): Effect.Effect<void, E | ServerError, Exclude<R, CancelRegistry | Notifications>> =>
    NodeCluster.default.isPrimary ? Effect.scoped(Effect.zipRight(makePrimary(options), Effect.never)) : runWorker(layer)
} as const
