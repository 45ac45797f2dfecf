import { SqlState } from "@pgwire-ts/protocol"
import { Context, Effect, Layer } from "effect"
import { PgError } from "../errors/PgError.js"
import type { Session } from "../session/Session.js"
import type { Portal } from "./ExtendedQueryHandler.js"
import type { ParsedStatement } from "./QueryParser.js"

/** A prepared statement as a connection keeps it (from Parse until Close, a new unnamed Parse, or disconnect). */
export interface PreparedStatement {
  /** "" = the unnamed statement. */
  readonly name: string
  readonly sql: string
  readonly parsed: ParsedStatement
}

/** An open portal as a connection keeps it; `close` releases what a suspended execution holds. */
export interface PortalHandle {
  readonly name: string
  readonly portal: Portal
  readonly close: Effect.Effect<void>
}

/**
 * One connection's statements and portals. Synchronous on purpose: it is on
 * the path of every Bind and Execute. The server closes portals it removes
 * (and the old unnamed portal before it adds a new one); the store only keeps
 * them.
 */
export interface SessionPortals {
  readonly statement: (name: string) => PreparedStatement | undefined
  /** Stores a statement; the unnamed one replaces its predecessor. A taken name → 42P05; over the limit → 53400. */
  readonly addStatement: (statement: PreparedStatement) => PgError | undefined
  readonly removeStatement: (name: string) => void
  /** Names of the stored statements ("" included when there is an unnamed one). */
  readonly statementNames: () => ReadonlyArray<string>
  readonly portal: (name: string) => PortalHandle | undefined
  /** Stores a portal (the server has removed any unnamed one first). A taken name → 42P03; over the limit → 53400. */
  readonly addPortal: (portal: PortalHandle) => PgError | undefined
  readonly removePortal: (name: string) => PortalHandle | undefined
  /** Removes every portal (the transaction ended) and returns them for the server to close. */
  readonly removeAllPortals: () => ReadonlyArray<PortalHandle>
  readonly statementCount: () => number
  readonly portalCount: () => number
}

export interface PortalStoreShape {
  /** The store of one connection, made when it first uses the extended query protocol. */
  readonly make: (session: Session) => Effect.Effect<SessionPortals>
}

export interface PortalLimits {
  /** Named prepared statements per connection (default 10,000); the unnamed one is not counted. */
  readonly maxStatements?: number | undefined
  /** Open named portals per connection (default 1,000); the unnamed one is not counted. */
  readonly maxPortals?: number | undefined
}

const none: ReadonlyArray<PortalHandle> = []

/** The default store: two Maps per connection, bounded so a client that Parses without end gets an error. */
export const makeInMemoryPortals = (limits: PortalLimits = {}): SessionPortals => {
  const maxStatements = limits.maxStatements ?? 10_000
  const maxPortals = limits.maxPortals ?? 1_000
  const statements = new Map<string, PreparedStatement>()
  const portals = new Map<string, PortalHandle>()
  let namedStatements = 0
  let namedPortals = 0
  return {
    statement: (name) => statements.get(name),
    addStatement: (s) => {
      if (s.name === "") {
        statements.set("", s)
        return undefined
      }
      if (statements.has(s.name)) return PgError.make(SqlState.DuplicatePstatement, `prepared statement "${s.name}" already exists`)
      if (namedStatements >= maxStatements) {
        return PgError.make(SqlState.ConfigurationLimitExceeded, `too many prepared statements (this server keeps at most ${maxStatements} per connection)`, {
          hint: "Close (DEALLOCATE) prepared statements that are no longer needed."
        })
      }
      statements.set(s.name, s)
      namedStatements++
      return undefined
    },
    removeStatement: (name) => {
      if (statements.delete(name) && name !== "") namedStatements--
    },
    statementNames: () => Array.from(statements.keys()),
    portal: (name) => portals.get(name),
    addPortal: (p) => {
      if (p.name === "") {
        portals.set("", p)
        return undefined
      }
      if (portals.has(p.name)) return PgError.make(SqlState.DuplicateCursor, `cursor "${p.name}" already exists`)
      if (namedPortals >= maxPortals) {
        return PgError.make(SqlState.ConfigurationLimitExceeded, `too many open portals (this server keeps at most ${maxPortals} per connection)`, {
          hint: "Close portals that are no longer needed."
        })
      }
      portals.set(p.name, p)
      namedPortals++
      return undefined
    },
    removePortal: (name) => {
      const p = portals.get(name)
      if (p !== undefined) {
        portals.delete(name)
        if (name !== "") namedPortals--
      }
      return p
    },
    removeAllPortals: () => {
      if (portals.size === 0) return none
      const all = Array.from(portals.values())
      portals.clear()
      namedPortals = 0
      return all
    },
    statementCount: () => statements.size,
    portalCount: () => portals.size
  }
}

/** Per-connection statements and portals. Without this service the server uses `PortalStore.inMemory()`'s store. */
export class PortalStore extends Context.Tag("@pgwire-ts/server/PortalStore")<PortalStore, PortalStoreShape>() {
  /** The in-memory store with limits. */
  static inMemory(limits: PortalLimits = {}): Layer.Layer<PortalStore> {
    return Layer.succeed(PortalStore, PortalStore.makeInMemory(limits))
  }

  static makeInMemory(limits: PortalLimits = {}): PortalStoreShape {
    return { make: () => Effect.sync(() => makeInMemoryPortals(limits)) }
  }

  static layer(make: PortalStoreShape["make"]): Layer.Layer<PortalStore> {
    return Layer.succeed(PortalStore, { make })
  }
}
