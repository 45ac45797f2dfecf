import { SqlState } from "@pgwire-ts/protocol"
import { Deferred, Effect, FiberRef, Metric } from "effect"
import { PgError } from "../errors/PgError.js"
import type { Transport } from "../transport/Transport.js"
import { runAuthentication } from "./Authenticating.js"
import { adminShutdown, Conn, type ServerEnv } from "./Conn.js"
import { type ConnectionEnd, FatalError, SilentClose } from "./ConnectionErrors.js"
import { connectionsOpen, connectionsTotal } from "./metrics.js"
import type { Phase } from "./Phase.js"
import { queryTracingEnabled } from "./querySpan.js"
import { stepReady } from "./Ready.js"
import { runCloseHooks } from "./SessionImpl.js"
import { stepSkipUntilSync } from "./SkipUntilSync.js"
import { runStartup } from "./Startup.js"

/**
 * One connection, start to end: Startup and Authenticating under the startup
 * timeout, then the post-startup phases until Closed. Every way a connection
 * can end arrives here as a ConnectionEnd and is answered in `end`; nothing
 * escapes to the listener, so one connection never affects another.
 */
export const runConnection = (transport: Transport, env: ServerEnv): Effect.Effect<void> => {
  const conn = new Conn(transport, env)
  const registry = env.registry
  // Wakes whichever transport the connection reads from (TLS replaces the first).
  const wake = () => conn.transport.wake()
  const startup = runStartup(conn).pipe(
    Effect.flatMap((p) => (p._tag === "Authenticating" ? runAuthentication(conn, p.info) : Effect.succeed(p))),
    Effect.timeoutFail({
      duration: env.config.startupTimeout,
      onTimeout: () => new SilentClose({ reason: "startup timeout" })
    }),
    Effect.raceFirst(
      Effect.zipRight(
        Deferred.await(registry.draining),
        Effect.fail(
          new FatalError({
            error: PgError.make(SqlState.CannotConnectNow, "the database system is shutting down", { severity: "FATAL" })
          })
        )
      )
    )
  )
  const session = Effect.flatMap(startup, (p) => runPhases(conn, p))
  return session.pipe(
    Effect.catchAll((e) => end(conn, e)),
    // Interrupted: the server is shutting down past its grace period (PostgreSQL's fast shutdown).
    Effect.onInterrupt(() =>
      Effect.interruptible(sendFatal(conn, adminShutdown().error)).pipe(Effect.timeout("1 second"), Effect.ignore)
    ),
    Effect.catchAllCause((cause) => Effect.logError("connection failed", cause)),
    Effect.ensuring(Effect.suspend(() => runCloseHooks(conn.session))),
    Effect.ensuring(
      Effect.suspend(() => {
        registry.connectionClosed(wake)
        const unregister = conn.processId !== 0 ? env.cancelRegistry.unregister(conn.processId) : Effect.void
        return Effect.zipRight(Effect.zipRight(unregister, Metric.incrementBy(connectionsOpen, -1)), conn.transport.close)
      })
    ),
    (eff) =>
      Effect.suspend(() => {
        registry.connectionOpened(wake)
        return Effect.zipRight(
          Effect.zipRight(Metric.increment(connectionsOpen), Metric.increment(connectionsTotal)),
          Effect.flatMap(Effect.zip(queryTracingEnabled, FiberRef.get(FiberRef.currentMetricLabels)), ([tracing, labels]) => {
            conn.tracing = tracing
            conn.metricLabels = labels
            return eff
          })
        )
      }),
    Effect.withSpan("pgwire.connection", { attributes: { "net.peer": describeRemote(transport) } })
  )
}


/** The post-startup phases, one step after another until Closed (plain flatMaps: this runs per message). */
const runPhases = (conn: Conn, phase: Phase): Effect.Effect<void, ConnectionEnd> => {
  switch (phase._tag) {
    case "Ready":
      return Effect.flatMap(stepReady(conn, phase), (next) => runPhases(conn, next))
    case "SkipUntilSync":
      return Effect.flatMap(stepSkipUntilSync(conn, phase), (next) => runPhases(conn, next))
    case "Closed":
      return Effect.void
    case "Startup":
    case "Authenticating":
      return Effect.dieMessage(`phase ${phase._tag} after startup`)
  }
}

/** The single place a connection's end is answered: violations get FATAL 08P01, fatal errors are sent, the rest closes quietly. */
const end = (conn: Conn, e: ConnectionEnd): Effect.Effect<void> => {
  switch (e._tag) {
    case "ProtocolViolation":
      return sendFatal(conn, PgError.make(SqlState.ProtocolViolation, e.reason, { severity: "FATAL" }))
    case "FatalError":
      return sendFatal(conn, e.error)
    case "ConnectionLost":
      return Effect.void
    case "SilentClose":
      return Effect.logDebug(`connection closed: ${e.reason}`)
  }
}

const sendFatal = (conn: Conn, error: PgError): Effect.Effect<void> =>
  Effect.suspend(() => {
    conn.sendError(error.toFields())
    return conn.flush
  }).pipe(Effect.ignore)

const describeRemote = (t: Transport): string =>
  t.remote._tag === "Tcp" ? `${t.remote.address}:${t.remote.port}` : t.remote._tag === "Unix" ? "unix" : "memory"
