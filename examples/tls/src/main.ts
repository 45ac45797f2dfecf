/**
 * A server that only speaks TLS:
 *   node examples/tls/dist/main.js --tls-cert server.crt --tls-key server.key [--host 127.0.0.1] [--port 5432]
 * Connect with `psql "host=localhost port=5432 sslmode=verify-full sslrootcert=ca.crt"`;
 * a plaintext connection is refused (FATAL 28000). Prints `listening on host:port`.
 */
import { parseCommandLine, runServerMain } from "@pgwire-ts/server"
import { layer } from "./TlsServer.js"

const usage = "usage: main.js --tls-cert FILE --tls-key FILE [--tls-ca FILE] [--host H] [--port P]"

const { flags, fail, port } = parseCommandLine(usage, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "5432" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" }
})
const listenPort = port("port")

const certFile = flags["tls-cert"] ?? fail("--tls-cert is required")
const keyFile = flags["tls-key"] ?? fail("--tls-key is required")

runServerMain(layer({ host: flags.host, port: listenPort, tls: { certFile, keyFile, caFile: flags["tls-ca"] } }))
