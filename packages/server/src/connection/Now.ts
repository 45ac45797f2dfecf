import { Effect, Exit } from "effect"

/**
 * Helpers for code that runs per message: an Effect that is already a
 * successful Exit (`Effect.succeed(x)`, `Effect.void`) is used at once, so a
 * message answered without waiting costs no Effect steps, while anything that
 * must run or wait still goes through the runtime.
 */

/** Whether `e` is already a success (`Effect.succeed(x)` is an Exit). */
export const isDone = <A, E, R>(e: Effect.Effect<A, E, R>): e is Exit.Success<A, E> & Effect.Effect<A, E, R> =>
  Exit.isExit(e) && Exit.isSuccess(e as Exit.Exit<A, E>)

/** `f` of the value: called now when `e` is already a success, else after `e` runs. */
export const flatMapNow = <A, E, R, B, E2, R2>(
  e: Effect.Effect<A, E, R>,
  f: (a: A) => Effect.Effect<B, E2, R2>
): Effect.Effect<B, E | E2, R | R2> => (isDone(e) ? f(e.value) : Effect.flatMap(e, f))

/** `value` once `pending` (if any) has completed: a plain success when there is nothing to wait for. */
export const afterNow = <A, E>(pending: Effect.Effect<void, E> | undefined, value: A): Effect.Effect<A, E> =>
  pending === undefined ? Effect.succeed(value) : Effect.as(pending, value)
