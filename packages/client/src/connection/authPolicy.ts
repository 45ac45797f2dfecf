/**
 * Which authentication requests the client answers: libpq's require_auth
 * (allowed or forbidden methods) and channel_binding (with `require`, only
 * SCRAM-SHA-256-PLUS will do), and the choice of SASL mechanism.
 */
import { AuthInputError, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, type ScramMechanism, tlsServerEndPointHash } from "@pgwire-ts/protocol"
import type { AuthMethodName, ClientConfig } from "../config/ClientConfig.js"
import { PgConnectionError } from "../errors.js"

const notAllowed = (message: string): PgConnectionError => new PgConnectionError({ reason: "AuthMethodNotAllowed", message })

/** Refuses a method the configuration forbids; undefined when it may go ahead. */
export const refuseMethod = (config: ClientConfig, method: AuthMethodName): PgConnectionError | undefined => {
  if (!config.allowedAuth.has(method)) {
    const what = method === "none" ? "no authentication" : `"${method}" authentication`
    return notAllowed(`the server asked for ${what}, which require_auth does not allow (allowed: ${[...config.allowedAuth].join(", ") || "none"})`)
  }
  if (config.channelBinding === "require" && method !== "scram-sha-256") {
    const what = method === "none" ? "no authentication" : `"${method}" authentication`
    return notAllowed(`channel binding is required, but the server asked for ${what}`)
  }
  return undefined
}

export interface SaslChoice {
  readonly mechanism: ScramMechanism
  /** tls-server-end-point data: binds -PLUS, or sends the "y" flag with plain SCRAM over TLS. */
  readonly channelBindingData: Uint8Array | undefined
}

/** Picks SCRAM-SHA-256-PLUS when bound to TLS (unless channel_binding=disable), else SCRAM-SHA-256. */
export const chooseSaslMechanism = (
  config: ClientConfig,
  offered: ReadonlyArray<string>,
  peerCertificate: Uint8Array | undefined
): SaslChoice | PgConnectionError => {
  let bindingData: Uint8Array | undefined
  if (peerCertificate !== undefined && config.channelBinding !== "disable") {
    try {
      bindingData = tlsServerEndPointHash(peerCertificate)
    } catch (e) {
      // Certificates signed with Ed25519/Ed448 have no tls-server-end-point hash.
      if (config.channelBinding === "require") {
        return notAllowed(`channel binding is required, but the server certificate allows none: ${e instanceof AuthInputError ? e.reason : String(e)}`)
      }
    }
  }
  if (bindingData !== undefined && offered.includes(SCRAM_SHA_256_PLUS)) {
    return { mechanism: SCRAM_SHA_256_PLUS, channelBindingData: bindingData }
  }
  if (config.channelBinding === "require") {
    return notAllowed(
      peerCertificate === undefined
        ? "channel binding is required, but the connection does not use TLS"
        : `channel binding is required, but the server offers only ${offered.join(", ") || "no SASL mechanism"}`
    )
  }
  if (offered.includes(SCRAM_SHA_256)) return { mechanism: SCRAM_SHA_256, channelBindingData: bindingData }
  return new PgConnectionError({
    reason: "Auth",
    message: `none of the server's SASL mechanisms is supported: ${offered.join(", ")}`
  })
}
