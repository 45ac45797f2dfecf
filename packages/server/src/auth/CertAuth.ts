import { Effect } from "effect"
import type { Conn } from "../connection/Conn.js"
import type { ConnectionEnd } from "../connection/ConnectionErrors.js"
import { authSpecFailed } from "./authFailure.js"

/** TLS client certificate: it must chain to the configured CA and its CN must equal the user. */
export const certAuth = (conn: Conn, user: string): Effect.Effect<void, ConnectionEnd> =>
  Effect.suspend(() => {
    const tls = conn.transport.tls
    if (tls === undefined) return Effect.fail(authSpecFailed("connection requires a valid client certificate"))
    const cert = tls.peerCertificate
    if (cert === undefined || !cert.authorized) {
      return Effect.fail(authSpecFailed("connection requires a valid client certificate"))
    }
    if (cert.commonName !== user) {
      return Effect.fail(authSpecFailed(`certificate authentication failed for user "${user}"`))
    }
    return Effect.void
  })
