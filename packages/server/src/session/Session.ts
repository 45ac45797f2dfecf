import type { Effect, Ref } from "effect"
import type { QueryCancellation } from "../cancel/QueryCancellation.js"
import type { Notice } from "../errors/PgError.js"
import type { RemoteInfo, TlsInfo } from "./ConnectionInfo.js"

/** Transaction status as reported in ReadyForQuery: idle, in a transaction, in a failed transaction. */
export type TransactionStatus = "I" | "T" | "E"

/** How the client proved who it is. */
export type AuthMethodUsed = "trust" | "password" | "md5" | "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS" | "cert" | "OAUTHBEARER"

/** What is known of a connection once its StartupMessage is read (before authentication). */
export interface StartupInfo {
  readonly user: string
  /** `database` from the startup packet, or the user name when absent (as PostgreSQL). */
  readonly database: string
  /** Every parameter of the StartupMessage (user, database, application_name, options...). */
  readonly startupParameters: ReadonlyMap<string, string>
  readonly protocolVersion: { readonly major: number; readonly minor: number }
  readonly remote: RemoteInfo
  readonly tls: TlsInfo | undefined
}

/** A key for typed per-session state; `initial` runs once per session, on first use. */
export interface SessionKey<A> {
  readonly name: string
  readonly initial: () => A
}

export const SessionKey = {
  make: <A>(name: string, initial: () => A): SessionKey<A> => ({ name, initial })
}

/** Per-connection facts and actions, passed to every handler call. */
export interface Session extends StartupInfo {
  readonly processId: number
  readonly authMethod: AuthMethodUsed
  /**
   * The identity authentication proved (PostgreSQL's authn_id): the user for
   * password methods and cert, the validator's `authnId` for OAUTHBEARER; undefined for trust.
   */
  readonly authnId: string | undefined
  readonly transactionStatus: Effect.Effect<TransactionStatus>
  /** Current value of a parameter reported with ParameterStatus (server_version, application_name...). */
  readonly parameter: (name: string) => Effect.Effect<string | undefined>
  /** Sends a NoticeResponse now (between the rows of a running query, if any). */
  readonly notice: (notice: Notice) => Effect.Effect<void>
  /** Updates a session parameter and sends ParameterStatus. */
  readonly setParameter: (name: string, value: string) => Effect.Effect<void>
  /** Typed per-session state, created on first use from the key's initial value. */
  readonly state: <A>(key: SessionKey<A>) => Ref.Ref<A>
  /** Runs `finalizer` when the connection ends, however it ends (e.g. to release per-session resources). */
  readonly onClose: (finalizer: Effect.Effect<void>) => Effect.Effect<void>
  /** The Query Cancellation API: observe a cancel of the running query, or cancel it (or another session's). */
  readonly cancellation: QueryCancellation
  /**
   * LISTEN: from now on each notification on `channel` is sent to this client
   * as NotificationResponse as soon as it is published, also while the client
   * is idle; one arriving during a query or an open transaction waits until
   * the session is idle outside a transaction (as PostgreSQL).
   */
  readonly listen: (channel: string) => Effect.Effect<void>
  /** UNLISTEN `channel`, or every channel with "*". */
  readonly unlisten: (channel: string) => Effect.Effect<void>
  /** The channels this session listens on (`pg_listening_channels()`). */
  readonly listening: Effect.Effect<ReadonlyArray<string>>
  /** NOTIFY from this session: published now to every listener (this session's process id as sender). */
  readonly notify: (channel: string, payload?: string) => Effect.Effect<void>
}
