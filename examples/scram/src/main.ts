/**
 * A server with SCRAM-SHA-256(-PLUS) logins:
 *   node examples/scram/dist/main.js --users users.txt [--tls-cert server.crt --tls-key server.key]
 *     [--host 127.0.0.1] [--port 5432]
 * Add users with `node examples/scram/dist/add-user.js --file users.txt --user alice`.
 * With TLS, clients may insist on channel binding (`channel_binding=require`).
 */
import { parseCommandLine, runServerMain } from "@pgwire-ts/server"
import { readFileSync } from "node:fs"
import { layer } from "./ScramServer.js"

const usage = "usage: main.js --users FILE [--tls-cert FILE --tls-key FILE] [--host H] [--port P]"

const { flags, fail, port } = parseCommandLine(usage, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "5432" },
  users: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" }
})
const listenPort = port("port")
const usersFile = flags.users ?? fail("--users is required")
if ((flags["tls-cert"] === undefined) !== (flags["tls-key"] === undefined)) fail("--tls-cert and --tls-key go together")

const readPem = (what: string, path: string): Buffer => {
  try {
    return readFileSync(path)
  } catch (e) {
    return fail(`cannot read the ${what} ${path}: ${(e as Error).message}`)
  }
}
const tls = flags["tls-cert"] === undefined
  ? undefined
  : { cert: readPem("certificate", flags["tls-cert"]), key: readPem("private key", flags["tls-key"]!) }

runServerMain(layer({ host: flags.host, port: listenPort, usersFile, tls }))
