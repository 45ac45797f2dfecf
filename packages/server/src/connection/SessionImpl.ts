import { Effect, Ref } from "effect"
import { noticeFields } from "../errors/PgError.js"
import type { AuthMethodUsed, Session, SessionKey, StartupInfo } from "../session/Session.js"
import type { Conn } from "./Conn.js"

/** The Session handlers see, backed by the connection's state and outbox. */
export const makeSession = (conn: Conn, info: StartupInfo, authMethod: AuthMethodUsed): Session => {
  const states = new Map<SessionKey<unknown>, Ref.Ref<unknown>>()
  return {
    ...info,
    processId: conn.processId,
    authMethod,
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
    }
  }
}
