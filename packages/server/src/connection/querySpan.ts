import { Effect, FiberRef } from "effect"
import type { Conn } from "./Conn.js"

// Effect's built-in tracer: it records nothing, so a span per query would only cost time.
const builtInTracer = Effect.runSync(Effect.tracer)

/**
 * Whether per-query spans are worth making in the current fiber: tracing is
 * enabled and a tracer other than Effect's built-in no-op one is installed
 * (e.g. @effect/opentelemetry). Read once per connection.
 */
export const queryTracingEnabled: Effect.Effect<boolean> = Effect.zipWith(
  Effect.tracer,
  FiberRef.get(FiberRef.currentTracerEnabled),
  (tracer, enabled) => enabled && tracer !== builtInTracer
)

/** The first 2 KiB of a statement, as the span attribute. */
export const statementAttribute = (sql: string): string => (sql.length > 2048 ? sql.slice(0, 2048) : sql)

/** `effect` inside a `pgwire.query` span when the connection traces queries, else as is. */
export const withQuerySpan = <A, E, R>(
  conn: Conn,
  effect: Effect.Effect<A, E, R>,
  attributes: Record<string, unknown>
): Effect.Effect<A, E, R> =>
  conn.tracing ? Effect.withSpan(effect, "pgwire.query", { attributes, captureStackTrace: false }) : effect
