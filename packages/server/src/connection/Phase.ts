import { Data } from "effect"
import type { StartupInfo, TransactionStatus } from "../session/Session.js"

/**
 * Where a connection is in the protocol. Each phase has its own module
 * (Startup.ts, Authenticating.ts, Ready.ts, SkipUntilSync.ts) that names the
 * messages it accepts and returns the next phase; Connection.ts runs them.
 * The COPY sub-protocols (CopyIn.ts, CopyOut.ts, CopyBoth.ts, each naming the
 * messages it accepts) run inside the query that started them rather than as
 * phases here, since a COPY in a multi-statement Query continues with the next
 * statement and one started by Execute returns to the extended protocol.
 */
export type Phase = Data.TaggedEnum<{
  /** Reading SSLRequest / GSSENCRequest / CancelRequest / StartupMessage. */
  Startup: {}
  /** StartupMessage accepted; running the auth method. */
  Authenticating: { readonly info: StartupInfo }
  /** Between queries, with the status ReadyForQuery reported. */
  Ready: { readonly transactionStatus: TransactionStatus }
  /** After an error in an extended-query exchange: discard messages until Sync. */
  SkipUntilSync: { readonly transactionStatus: TransactionStatus }
  Closed: { readonly reason: string }
}>

export const Phase = Data.taggedEnum<Phase>()
