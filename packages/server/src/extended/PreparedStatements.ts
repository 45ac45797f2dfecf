import { SqlState } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import { PgError } from "../errors/PgError.js"
import type { SessionPortals } from "../handlers/PortalStore.js"
import type { Session } from "../session/Session.js"

// The statement store of each session that has used the extended protocol.
const stores = new WeakMap<Session, SessionPortals>()

/** Links a session to its statement store (the server calls this when it makes the store). */
export const registerSessionPortals = (session: Session, portals: SessionPortals): void => {
  stores.set(session, portals)
}

/**
 * The connection's named prepared statements, for handlers that implement
 * the SQL commands sharing their namespace (PostgreSQL's DEALLOCATE closes a
 * statement made by a Parse message; drivers such as psycopg 3 send
 * `DEALLOCATE ALL` after a rollback).
 */
export const PreparedStatements = {
  /** Names of the session's named prepared statements. */
  names: (session: Session): Effect.Effect<ReadonlyArray<string>> =>
    Effect.sync(() => (stores.get(session)?.statementNames() ?? []).filter((n) => n !== "")),

  /** `DEALLOCATE name`: 26000 when there is no such statement, as PostgreSQL. */
  deallocate: (session: Session, name: string): Effect.Effect<void, PgError> =>
    Effect.suspend(() => {
      const store = stores.get(session)
      if (name === "" || store?.statement(name) === undefined) {
        return Effect.fail(PgError.make(SqlState.UndefinedPstatement, `prepared statement "${name}" does not exist`))
      }
      store.removeStatement(name)
      return Effect.void
    }),

  /** `DEALLOCATE ALL`: every named statement (the unnamed one stays, as in PostgreSQL). */
  deallocateAll: (session: Session): Effect.Effect<void> =>
    Effect.sync(() => {
      const store = stores.get(session)
      if (store === undefined) return
      for (const name of store.statementNames()) if (name !== "") store.removeStatement(name)
    })
} as const
