/**
 * The connection engine behind each open client, for request types that live
 * outside Client.ts (the replication stream). Not exported from the package.
 */
import type { PgClient } from "../Client.js"
import type { ConnectionCore } from "../connection/ConnectionCore.js"

const cores = new WeakMap<PgClient, ConnectionCore>()

/** Called once by Client.ts for every client it makes. */
export const registerCore = (client: PgClient, core: ConnectionCore): void => {
  cores.set(client, core)
}

/** The engine of a client made by `connect`. */
export const coreOf = (client: PgClient): ConnectionCore => {
  const core = cores.get(client)
  if (core === undefined) throw new Error("not a client made by @pgwire-ts/client's connect")
  return core
}
