/**
 * Opens the byte stream to the server: TCP or a Unix socket, then TLS as the
 * sslmode asks, either after an SSLRequest answered 'S' or directly
 * (`sslnegotiation=direct`, ALPN "postgresql"). The result is a plain node
 * Duplex, closed when the Scope closes; the connection wraps it in an
 * @effect/platform Socket.
 */
import { Writer, encodeSSLRequest } from "@pgwire-ts/protocol"
import { Effect, Scope } from "effect"
import net from "node:net"
import tls from "node:tls"
import { type ClientConfig, isUnixSocketHost, unixSocketPath } from "../config/ClientConfig.js"
import { PgConnectionError } from "../errors.js"
import { ALPN_POSTGRESQL, tlsConnectOptions } from "./tlsOptions.js"

export interface Transport {
  /** The socket to read and write: a net.Socket, or the TLSSocket over it. */
  readonly duplex: net.Socket
  /** The TLS session when encrypted. */
  readonly tls: tls.TLSSocket | undefined
  /** DER of the server's certificate (for tls-server-end-point channel binding). */
  readonly peerCertificate: Uint8Array | undefined
}

const describeTarget = (config: ClientConfig): string =>
  isUnixSocketHost(config.host) ? unixSocketPath(config.host, config.port) : `${config.host}:${config.port}`

const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

// Destroys the socket when the Scope closes, whatever the outcome.
const destroyOnClose = (socket: net.Socket) =>
  Effect.addFinalizer(() => Effect.sync(() => {
    if (!socket.destroyed) socket.destroy()
  }))

const connectRaw = (config: ClientConfig): Effect.Effect<net.Socket, PgConnectionError, Scope.Scope> =>
  Effect.async<net.Socket, PgConnectionError>((resume) => {
    const socket = isUnixSocketHost(config.host)
      ? net.createConnection({ path: unixSocketPath(config.host, config.port) })
      : net.createConnection({ host: config.host, port: config.port })
    const onError = (cause: Error) => {
      socket.destroy()
      resume(Effect.fail(new PgConnectionError({
        reason: "Connect",
        message: `could not connect to ${describeTarget(config)}: ${errorMessage(cause)}`,
        cause
      })))
    }
    socket.once("error", onError)
    socket.once("connect", () => {
      socket.off("error", onError)
      socket.setNoDelay(true)
      resume(Effect.succeed(socket))
    })
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.tap(destroyOnClose))

/** Sends SSLRequest and reads exactly the one-byte answer: true for 'S', false for 'N'. */
const negotiateSsl = (socket: net.Socket): Effect.Effect<boolean, PgConnectionError> =>
  Effect.async<boolean, PgConnectionError>((resume) => {
    const cleanup = () => {
      socket.off("data", onData)
      socket.off("error", onError)
      socket.off("close", onClose)
    }
    const fail = (reason: "Connect" | "Tls" | "Protocol", message: string, cause?: unknown) => {
      cleanup()
      socket.destroy()
      resume(Effect.fail(new PgConnectionError({ reason, message, cause })))
    }
    const onData = (chunk: Buffer) => {
      cleanup()
      socket.pause()
      const answer = chunk[0]
      // An ErrorResponse ('E') from an unauthenticated server is not shown (CVE-2024-10977).
      if (answer === 0x45) return fail("Tls", "the server answered SSLRequest with an error")
      // Anything after the answer byte would be read as if it came over TLS (CVE-2021-23222).
      if (chunk.length > 1) return fail("Protocol", "the server sent data after its answer to SSLRequest")
      if (answer === 0x53) return resume(Effect.succeed(true))
      if (answer === 0x4e) return resume(Effect.succeed(false))
      fail("Protocol", `unexpected answer byte ${answer} to SSLRequest`)
    }
    const onError = (cause: Error) => fail("Connect", errorMessage(cause), cause)
    const onClose = () => fail("Tls", "the server closed the connection after SSLRequest")
    socket.on("data", onData)
    socket.once("error", onError)
    socket.once("close", onClose)
    const w = new Writer(16)
    encodeSSLRequest(w)
    socket.write(w.take())
  })

const handshake = (
  config: ClientConfig,
  socket: net.Socket,
  direct: boolean
): Effect.Effect<tls.TLSSocket, PgConnectionError, Scope.Scope> =>
  Effect.try({
    try: () => tlsConnectOptions(config),
    catch: (e) => e instanceof PgConnectionError ? e : new PgConnectionError({ reason: "Config", message: errorMessage(e), cause: e })
  }).pipe(
    Effect.flatMap((options) =>
      Effect.async<tls.TLSSocket, PgConnectionError>((resume) => {
        const secure = tls.connect({ ...options, socket })
        const onError = (cause: Error) => {
          secure.destroy()
          resume(Effect.fail(new PgConnectionError({ reason: "Tls", message: `TLS handshake failed: ${errorMessage(cause)}`, cause })))
        }
        secure.once("error", onError)
        secure.once("secureConnect", () => {
          secure.off("error", onError)
          // Direct TLS must prove the server speaks PostgreSQL over it (protocol confusion attacks).
          if (direct && secure.alpnProtocol !== ALPN_POSTGRESQL) {
            secure.destroy()
            return resume(Effect.fail(new PgConnectionError({
              reason: "Tls",
              message: `the server did not accept ALPN "${ALPN_POSTGRESQL}" for a direct TLS connection`
            })))
          }
          resume(Effect.succeed(secure))
        })
        return Effect.sync(() => secure.destroy())
      })
    ),
    Effect.tap(destroyOnClose)
  )

const plain = (socket: net.Socket): Transport => ({ duplex: socket, tls: undefined, peerCertificate: undefined })

const encrypted = (secure: tls.TLSSocket): Transport => {
  const raw = secure.getPeerCertificate(false)?.raw
  return { duplex: secure, tls: secure, peerCertificate: raw === undefined ? undefined : new Uint8Array(raw) }
}

/** TCP/Unix connect plus TLS per `sslmode` and `sslnegotiation`. Unix sockets never use TLS, as in libpq. */
export const openTransport = (config: ClientConfig): Effect.Effect<Transport, PgConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    const socket = yield* connectRaw(config)
    if (isUnixSocketHost(config.host) || config.sslmode === "disable") return plain(socket)
    if (config.sslnegotiation === "direct") return encrypted(yield* handshake(config, socket, true))
    const accepted = yield* negotiateSsl(socket)
    if (!accepted) {
      // Left paused: the connection resumes reading once its reader is attached.
      if (config.sslmode === "prefer" || config.sslmode === "allow") return plain(socket)
      return yield* new PgConnectionError({ reason: "Tls", message: `the server does not support TLS, but sslmode is ${config.sslmode}` })
    }
    return encrypted(yield* handshake(config, socket, false))
  })
