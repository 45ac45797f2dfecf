/**
 * node:tls options for an sslmode, as libpq means them: `prefer`/`require`
 * encrypt without checking the certificate (`require` verifies the CA when one
 * is configured, like libpq with a root certificate file), `verify-ca` checks
 * the chain, `verify-full` the chain and the host name.
 */
import fs from "node:fs"
import net from "node:net"
import type tls from "node:tls"
import { checkServerIdentity } from "node:tls"
import type { ClientConfig } from "../config/ClientConfig.js"
import { PgConnectionError } from "../errors.js"

export const ALPN_POSTGRESQL = "postgresql"

const readPem = (path: string, what: string): Buffer => {
  try {
    return fs.readFileSync(path)
  } catch (cause) {
    throw new PgConnectionError({ reason: "Config", message: `cannot read ${what} "${path}": ${String((cause as Error)?.message ?? cause)}`, cause })
  }
}

/** Throws PgConnectionError (reason "Config") when a certificate file cannot be read. */
export const tlsConnectOptions = (config: ClientConfig): tls.ConnectionOptions => {
  const ca =
    config.sslca !== undefined
      ? typeof config.sslca === "string" ? config.sslca : Buffer.from(config.sslca)
      : config.sslrootcert !== undefined && config.sslrootcert !== "system"
        ? readPem(config.sslrootcert, "sslrootcert")
        : undefined
  const mode = config.sslmode === "require" && ca !== undefined ? "verify-ca" : config.sslmode
  const verify = mode === "verify-ca" || mode === "verify-full"
  const options: tls.ConnectionOptions = {
    ALPNProtocols: [ALPN_POSTGRESQL],
    rejectUnauthorized: verify,
    // verify-ca trusts any name on a certificate the CA signed; verify-full checks the host.
    checkServerIdentity: mode === "verify-full" ? (_name, cert) => checkServerIdentity(config.host, cert) : () => undefined
  }
  // SNI carries host names only; node refuses an IP address there.
  if (net.isIP(config.host) === 0) options.servername = config.host
  if (ca !== undefined) options.ca = ca
  if (config.sslcert !== undefined) options.cert = readPem(config.sslcert, "sslcert")
  if (config.sslkey !== undefined) options.key = readPem(config.sslkey, "sslkey")
  return options
}
