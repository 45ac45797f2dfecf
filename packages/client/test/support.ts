// Shared test helpers: run scoped client programs as promises and read their failures.
import { Client, type ClientOptions, type PgClient } from "@pgwire-ts/client"
import { Cause, Effect, Exit, Option, Scope } from "effect"

/** Runs a scoped program to its value (rejects with the failure's pretty print). */
export const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))

/** Runs a scoped program and returns its typed failure (throws if it succeeded or died). */
export const failure = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<E> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(effect))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const e = Cause.failureOption(exit.cause)
  if (Option.isNone(e)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return e.value
}

/** Connects, runs `f`, closes. */
export const withClient = <A, E>(config: string | ClientOptions, f: (client: PgClient) => Effect.Effect<A, E, Scope.Scope>) =>
  run(Effect.flatMap(Client.connect(config), f))

/**
 * A connection kept open across tests (one per file keeps the runtime low);
 * `close()` in afterAll.
 */
export const openShared = async (config: string | ClientOptions): Promise<{ client: PgClient; close: () => Promise<void> }> => {
  const scope = Effect.runSync(Scope.make())
  const client = await Effect.runPromise(Scope.extend(Client.connect(config), scope))
  return { client, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** Polls `check` until it returns true (no timing assertion: only a generous deadline). */
export const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
