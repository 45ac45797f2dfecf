/**
 * CancelRequest on a new connection (opened like the main one, TLS included),
 * quoting the process ID and the secret key exactly as BackendKeyData gave
 * them (4 bytes in protocol 3.0, up to 256 in 3.2). The server answers by
 * closing the connection; whether the query stops shows on the main connection.
 */
import { Writer, encodeCancelRequest } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import type { ClientConfig } from "../config/ClientConfig.js"
import type { PgConnectionError } from "../errors.js"
import { openTransport } from "../transport/openTransport.js"

/** How long to wait for the server to close the cancel connection. */
const CLOSE_WAIT_MS = 10_000

export const sendCancelRequest = (
  config: ClientConfig,
  processId: number,
  secretKey: Uint8Array
): Effect.Effect<void, PgConnectionError> =>
  Effect.scoped(
    Effect.flatMap(openTransport(config), ({ duplex }) =>
      Effect.async<void>((resume) => {
        const w = new Writer(16 + secretKey.length)
        encodeCancelRequest(w, { _tag: "CancelRequest", processId, secretKey })
        const finish = () => {
          clearTimeout(timer)
          resume(Effect.void)
        }
        const timer = setTimeout(finish, CLOSE_WAIT_MS)
        duplex.once("close", finish)
        duplex.once("error", finish)
        duplex.on("data", () => {})
        duplex.resume()
        duplex.end(w.take())
        return Effect.sync(() => clearTimeout(timer))
      })
    )
  )
