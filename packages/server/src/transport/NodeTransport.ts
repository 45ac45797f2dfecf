import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Effect, Scope } from "effect"
import type * as Net from "node:net"
import { Duplex } from "node:stream"
import * as Tls from "node:tls"
import type { PeerCertificate, RemoteInfo, TlsInfo } from "../session/ConnectionInfo.js"
import { directWriter } from "./DirectWrite.js"
import { fromSocket, TlsFailure, type StartTls, type Transport } from "./Transport.js"

/** How long a closed socket may take to flush before it is destroyed. */
const CLOSE_LINGER_MS = 5_000

export interface NodeTlsContext {
  readonly secureContext: Tls.SecureContext
  readonly requestCert: boolean
}

const remoteOf = (raw: Net.Socket, unixPath: string | undefined): RemoteInfo =>
  unixPath !== undefined || raw.remoteAddress === undefined
    ? { _tag: "Unix", path: unixPath ?? "" }
    : { _tag: "Tcp", address: raw.remoteAddress, port: raw.remotePort ?? 0 }

const lingerThenDestroy = (s: Duplex) =>
  Effect.sync(() => {
    if (s.destroyed) return
    if (!s.writableEnded) s.end()
    setTimeout(() => s.destroy(), CLOSE_LINGER_MS).unref()
  })

/** A Transport over an accepted Node socket; TLS-capable when `tls` is given. */
export const fromNetSocket = (
  raw: Net.Socket,
  tls: NodeTlsContext | undefined,
  unixPath?: string
): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function* () {
    raw.setNoDelay(true)
    const remote = remoteOf(raw, unixPath)
    const scope = yield* Effect.scope
    const socket = yield* NodeSocket.fromDuplex(Effect.succeed(raw))
    return yield* fromSocket(socket, {
      remote,
      backpressure: { pause: () => raw.pause(), resume: () => raw.resume() },
      onClose: lingerThenDestroy(raw),
      writeNow: directWriter(raw),
      ...(tls ? { startTls: (stopReading: Effect.Effect<boolean>) => startTls(raw, remote, tls, stopReading, scope) } : {})
    })
  })

const startTls =
  (
    raw: Net.Socket,
    remote: RemoteInfo,
    ctx: NodeTlsContext,
    stopReading: Effect.Effect<boolean>,
    scope: Scope.Scope
  ): StartTls =>
  (answer, prefix) =>
    Effect.gen(function* () {
      // Bytes sent before our answer would be read as if they came over TLS (CVE-2021-23214).
      if (!(yield* stopReading)) return yield* Effect.fail(new TlsFailure("received unencrypted data before the TLS handshake"))
      if (answer.byteLength > 0) {
        yield* Effect.async<void, TlsFailure>((resume) => {
          raw.write(answer, (err) => resume(err ? Effect.fail(new TlsFailure(String(err))) : Effect.void))
        })
      }
      const direct = prefix !== undefined
      const tlsSocket = new Tls.TLSSocket(prefix ? new PrefixedDuplex(raw, prefix) : raw, {
        isServer: true,
        secureContext: ctx.secureContext,
        requestCert: ctx.requestCert,
        // Client certificates are judged by the `cert` auth method, with a PostgreSQL error, not a TLS alert.
        rejectUnauthorized: false,
        ALPNProtocols: ["postgresql"]
      })
      yield* Effect.async<void, TlsFailure>((resume) => {
        const onError = (err: Error) => settle(Effect.fail(new TlsFailure(err.message)))
        // A client that refuses our certificate may just hang up: no error is emitted then, only close.
        const onClose = () => settle(Effect.fail(new TlsFailure("the client closed the connection during the TLS handshake")))
        const onSecure = () => settle(Effect.void)
        const settle = (outcome: Effect.Effect<void, TlsFailure>) => {
          tlsSocket.off("secure", onSecure)
          tlsSocket.off("error", onError)
          tlsSocket.off("close", onClose)
          resume(outcome)
        }
        tlsSocket.once("secure", onSecure)
        tlsSocket.once("error", onError)
        tlsSocket.once("close", onClose)
        return Effect.sync(() => tlsSocket.destroy())
      })
      const alpn = typeof tlsSocket.alpnProtocol === "string" ? tlsSocket.alpnProtocol : undefined
      // PostgreSQL 17 requires ALPN on direct TLS so that a TLS connection meant for another protocol is not taken.
      if (direct && alpn !== "postgresql") {
        tlsSocket.destroy()
        return yield* Effect.fail(new TlsFailure("direct TLS without ALPN \"postgresql\""))
      }
      tlsSocket.on("error", () => {})
      const info: TlsInfo = {
        protocol: tlsSocket.getProtocol() ?? undefined,
        cipher: tlsSocket.getCipher()?.name,
        sni: (tlsSocket as unknown as { servername?: string | false }).servername || undefined,
        alpn,
        negotiation: direct ? "direct" : "SSLRequest",
        peerCertificate: peerCertificateOf(tlsSocket)
      }
      const own = tlsSocket.getCertificate()
      const socket = yield* NodeSocket.fromDuplex(Effect.succeed(tlsSocket as Duplex))
      return yield* Scope.extend(fromSocket(socket, {
        remote,
        tls: info,
        serverCertificate: own && "raw" in own ? new Uint8Array(own.raw) : undefined,
        backpressure: { pause: () => tlsSocket.pause(), resume: () => tlsSocket.resume() },
        onClose: Effect.zipRight(lingerThenDestroy(tlsSocket), lingerThenDestroy(raw)),
        writeNow: directWriter(tlsSocket)
      }), scope)
    })

const peerCertificateOf = (s: Tls.TLSSocket): PeerCertificate | undefined => {
  const cert = s.getPeerCertificate()
  if (cert === null || cert === undefined || cert.raw === undefined) return undefined
  const subject: Record<string, string> = {}
  for (const [k, v] of Object.entries(cert.subject ?? {})) subject[k] = Array.isArray(v) ? v.join(",") : String(v)
  return {
    commonName: subject["CN"],
    subject,
    fingerprint256: cert.fingerprint256,
    raw: new Uint8Array(cert.raw),
    authorized: chainVerified(s)
  }
}

/**
 * Whether OpenSSL verified the client's certificate chain against `tls.ca`.
 * `authorized` is only computed by tls.Server's own accept path, which a
 * TLSSocket made on an existing socket does not take; the verify result it
 * reads is the handle's. Fails closed if that handle API is ever missing.
 */
const chainVerified = (s: Tls.TLSSocket): boolean => {
  if (s.authorized) return true
  const handle = (s as unknown as { _handle?: { verifyError?: () => unknown } })._handle
  return typeof handle?.verifyError === "function" && handle.verifyError() === null
}

/**
 * The raw socket with bytes already read put back in front: direct TLS is
 * detected by reading the ClientHello's first byte, which the TLS layer must still see.
 */
class PrefixedDuplex extends Duplex {
  constructor(
    private readonly raw: Net.Socket,
    prefix: Uint8Array
  ) {
    super()
    this.push(prefix)
    raw.on("data", (d: Buffer) => {
      if (!this.push(d)) raw.pause()
    })
    raw.on("end", () => this.push(null))
    raw.on("error", (e) => this.destroy(e))
    raw.on("close", () => this.destroy())
    raw.resume()
  }
  override _read(): void {
    this.raw.resume()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.raw.write(chunk, cb)
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.raw.end(cb)
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.raw.destroy(err ?? undefined)
    cb(err)
  }
}
