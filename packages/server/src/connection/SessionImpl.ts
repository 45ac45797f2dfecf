import { Effect, Ref } from "effect"
import { noticeFields } from "../errors/PgError.js"
import type { AuthMethodUsed, Session, SessionKey, StartupInfo } from "../session/Session.js"
import { SessionNotifications } from "../notifications/SessionNotifications.js"
import type { Conn } from "./Conn.js"

const closeHooks = new WeakMap<Session, Array<Effect.Effect<void>>>()

/** Runs the session's `onClose` finalizers (last registered first); called once when its connection ends. */
export const runCloseHooks = (session: Session | undefined): Effect.Effect<void> =>
  Effect.suspend(() => {
    const hooks = session === undefined ? undefined : closeHooks.get(session)
    if (hooks === undefined) return Effect.void
    closeHooks.delete(session!)
    return Effect.forEach(hooks.reverse(), (f) => Effect.catchAllCause(f, (c) => Effect.logError("session onClose failed", c)), { discard: true })
  })

/** The Session handlers see, backed by the connection's state and outbox. */
export const makeSession = (conn: Conn, info: StartupInfo, authMethod: AuthMethodUsed, authnId?: string): Session => {
  const states = new Map<SessionKey<unknown>, Ref.Ref<unknown>>()
  const hooks: Array<Effect.Effect<void>> = []
  const hub = conn.env.notifications
  // Made on the first LISTEN; the session stops listening when the connection ends.
  let inbox: SessionNotifications | undefined
  const listener = (): SessionNotifications => {
    if (inbox === undefined) {
      const made = new SessionNotifications(conn)
      inbox = made
      conn.idleWork = made.idleWork
      hooks.push(hub.unlisten("*", made))
    }
    return inbox
  }
  const session: Session = {
    ...info,
    processId: conn.processId,
    authMethod,
    authnId,
    transactionStatus: Effect.sync(() => conn.transactionStatus),
    parameter: (name) => Effect.sync(() => conn.parameters.get(name)),
    // A broken socket is noticed (and the connection ended) by the query runner's own writes.
    notice: (notice) =>
      Effect.suspend(() => {
        conn.send({ _tag: "NoticeResponse", fields: noticeFields(notice) })
        return conn.flush
      }).pipe(Effect.ignore),
    setParameter: (name, value) =>
      Effect.suspend(() => {
        conn.parameters.set(name, value)
        conn.send({ _tag: "ParameterStatus", name, value })
        return conn.flushIfFull
      }).pipe(Effect.ignore),
    state: <A>(key: SessionKey<A>): Ref.Ref<A> => {
      let ref = states.get(key as SessionKey<unknown>)
      if (ref === undefined) {
        ref = Ref.unsafeMake<unknown>(key.initial())
        states.set(key as SessionKey<unknown>, ref)
      }
      return ref as Ref.Ref<A>
    },
    onClose: (finalizer) => Effect.sync(() => void hooks.push(finalizer)),
    cancellation: conn.cancellation.api,
    listen: (channel) => Effect.suspend(() => hub.listen(channel, listener())),
    unlisten: (channel) => Effect.suspend(() => (inbox === undefined ? Effect.void : hub.unlisten(channel, inbox))),
    listening: Effect.suspend(() => (inbox === undefined ? Effect.succeed([]) : hub.channels(inbox))),
    notify: (channel, payload) => hub.notify(channel, payload, { fromProcessId: conn.processId })
  }
  closeHooks.set(session, hooks)
  return session
}
