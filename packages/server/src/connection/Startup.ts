import { SqlState, type StartupMessage } from "@pgwire-ts/protocol"
import { refuseReplication } from "../replication/replicationMode.js"
import { Effect } from "effect"
import { PgError } from "../errors/PgError.js"
import type { StartupInfo } from "../session/Session.js"
import type { Conn } from "./Conn.js"
import { type ConnectionEnd, FatalError, ProtocolViolation, SilentClose } from "./ConnectionErrors.js"
import { Phase } from "./Phase.js"
import { WAKE } from "../transport/Transport.js"

/** Newest protocol minor version we speak (3.2, PostgreSQL 18). */
export const NEWEST_MINOR = 2

const accepts = new Set(["StartupMessage", "SSLRequest", "GSSENCRequest", "CancelRequest"] as const)

/** First byte of a TLS record (handshake): a client doing direct TLS. */
const TLS_HANDSHAKE_RECORD = 0x16
const ANSWER_YES = 0x53 // 'S'
const ANSWER_NO = 0x4e // 'N'

const fatal = (code: string, message: string) => new FatalError({ error: PgError.make(code, message, { severity: "FATAL" }) })

/**
 * The Startup phase: answers SSLRequest ('S' then the TLS handshake, or 'N'),
 * GSSENCRequest ('N'), a direct TLS ClientHello, CancelRequest (then closes),
 * and validates the StartupMessage.
 */
export const runStartup = (conn: Conn): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    const config = conn.env.config
    let tls = false
    let gssAnswered = false

    let first = yield* conn.transport.read
    // A drain's wake-up: the startup race with the drain signal handles it.
    while (first === WAKE) first = yield* conn.transport.read
    if (first === undefined) return Phase.Closed({ reason: "closed before startup" })
    if (first[0] === TLS_HANDSHAKE_RECORD && first.byteLength > 0) {
      const startTls = conn.transport.startTls
      if (startTls === undefined || config.tls?.directTls === false) {
        return yield* new SilentClose({ reason: "direct TLS ClientHello, but direct TLS is not enabled" })
      }
      conn.switchTransport(
        yield* startTls(new Uint8Array(0), first).pipe(Effect.mapError((e) => new SilentClose({ reason: e.reason })))
      )
      tls = true
    } else {
      conn.input.push(first)
    }

    for (;;) {
      const m = yield* conn.expect("startup", accepts)
      switch (m._tag) {
        case "SSLRequest": {
          if (tls) return yield* new ProtocolViolation({ reason: "SSLRequest on a connection that already uses TLS" })
          if (conn.input.buffered > 0 || conn.transport.bufferedChunks() > 0) {
            return yield* new ProtocolViolation({ reason: "received unencrypted data after SSL request" })
          }
          const startTls = conn.transport.startTls
          if (startTls === undefined) {
            yield* conn.writeByte(ANSWER_NO)
          } else {
            conn.switchTransport(
              yield* startTls(Uint8Array.of(ANSWER_YES), undefined).pipe(
                Effect.mapError((e) => new SilentClose({ reason: e.reason }))
              )
            )
            tls = true
          }
          conn.input.expectUntyped()
          continue
        }
        case "GSSENCRequest": {
          if (tls || gssAnswered) return yield* new ProtocolViolation({ reason: "unexpected GSSENCRequest" })
          if (conn.input.buffered > 0 || conn.transport.bufferedChunks() > 0) {
            return yield* new ProtocolViolation({ reason: "received unencrypted data after GSSAPI encryption request" })
          }
          gssAnswered = true
          yield* conn.writeByte(ANSWER_NO)
          conn.input.expectUntyped()
          continue
        }
        case "CancelRequest": {
          // Nothing is answered, match or not (PostgreSQL closes the connection silently too).
          yield* conn.env.cancelRegistry.cancel(m.processId, m.secretKey)
          return Phase.Closed({ reason: "cancel request" })
        }
        case "StartupMessage":
          return yield* acceptStartupMessage(conn, m, tls)
      }
    }
  })

const acceptStartupMessage = (conn: Conn, m: StartupMessage, tls: boolean): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    const { major, minor } = m.protocolVersion
    if (major !== 3) {
      return yield* fatal(
        SqlState.FeatureNotSupported,
        `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.${NEWEST_MINOR}`
      )
    }
    const parameters = new Map(Object.entries(m.parameters))
    const unrecognized = [...parameters.keys()].filter((k) => k.startsWith("_pq_."))
    if (minor > NEWEST_MINOR || unrecognized.length > 0) {
      conn.send({
        _tag: "NegotiateProtocolVersion",
        // The whole version code, as PostgreSQL sends it and libpq 18 reads it.
        newestVersion: (3 << 16) | Math.min(minor, NEWEST_MINOR),
        unrecognizedOptions: unrecognized
      })
    }
    for (const k of unrecognized) parameters.delete(k)
    const user = parameters.get("user")
    if (user === undefined || user === "") {
      return yield* fatal(SqlState.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet")
    }
    const database = parameters.get("database") || user
    const config = conn.env.config
    const registry = conn.env.registry
    const remote = conn.transport.remote
    if (config.tls?.required === true && !tls) {
      const host = remote._tag === "Tcp" ? remote.address : remote._tag === "Unix" ? "[local]" : "[memory]"
      return yield* fatal(
        SqlState.InvalidAuthorizationSpecification,
        `connection refused for host "${host}", user "${user}", database "${database}", no encryption`
      )
    }
    if (registry.isDraining) return yield* fatal(SqlState.CannotConnectNow, "the database system is shutting down")
    const replicationRefused = refuseReplication(parameters, conn.env.replication !== undefined)
    if (replicationRefused !== undefined) return yield* new FatalError({ error: replicationRefused })
    if (registry.open > config.maxConnections) return yield* fatal(SqlState.TooManyConnections, "sorry, too many clients already")
    const info: StartupInfo = {
      user,
      database,
      startupParameters: parameters,
      protocolVersion: { major, minor: Math.min(minor, NEWEST_MINOR) },
      remote,
      tls: conn.transport.tls
    }
    return Phase.Authenticating({ info })
  })
