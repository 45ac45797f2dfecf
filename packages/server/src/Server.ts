import { Context, Effect, FiberSet, Layer, type Scope } from "effect"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Tls from "node:tls"
import { runConnection } from "./connection/Connection.js"
import type { ServerEnv } from "./connection/Conn.js"
import { makeEnv } from "./connection/makeEnv.js"
import { ServerError } from "./ServerError.js"
import { resolveConfig, type ServerConfig, type ServerOptions } from "./ServerOptions.js"
import { fromNetSocket, type NodeTlsContext } from "./transport/NodeTransport.js"
import { lockUnixSocket } from "./transport/UnixSocketLock.js"

export interface ServerAddress {
  readonly _tag: "TcpAddress"
  readonly hostname: string
  readonly port: number
}

export interface ServerShape {
  /** The bound TCP address (the real port when `port: 0` was asked). */
  readonly address: ServerAddress
  /** The Unix socket path, when `unixSocketDir` was given. */
  readonly unixSocketPath: string | undefined
  /** Connections open now, including those still in startup. */
  readonly connections: Effect.Effect<number>
}

/**
 * A PostgreSQL-protocol server. `Server.layer(options)` listens while the
 * layer's scope is open; closing it stops accepting, lets running queries
 * finish within `shutdownGracePeriod` (idle sessions end at once with FATAL
 * 57P01), then cuts what is left.
 */
export class Server extends Context.Tag("@pgwire-ts/server/Server")<Server, ServerShape>() {
  static layer(options: ServerOptions = {}): Layer.Layer<Server, ServerError> {
    return Layer.scoped(Server, make(options))
  }

  /** Starts a server in the current scope and returns its bound address. */
  static serve(options: ServerOptions = {}): Effect.Effect<ServerAddress, ServerError, Scope.Scope> {
    return Effect.map(make(options), (s) => s.address)
  }
}

export const make = (options: ServerOptions): Effect.Effect<ServerShape, ServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const config = resolveConfig(options)
    const env = yield* makeEnv(config)
    const tls = config.tls === undefined ? undefined : yield* secureContext(config)
    // Closed last (finalizers run in reverse): interrupts whatever outlived the grace period.
    const connections = yield* FiberSet.make<void>()
    const runFork = yield* FiberSet.runtime(connections)<never>()

    const accept = (unixPath: string | undefined) => (raw: Net.Socket) => {
      raw.on("error", () => {})
      runFork(Effect.scoped(Effect.flatMap(fromNetSocket(raw, tls, unixPath), (t) => runConnection(t, env))))
    }

    const tcp = yield* listen(accept(undefined), { host: config.host, port: config.port })
    const bound = tcp.address() as Net.AddressInfo
    let unixSocketPath: string | undefined
    let unix: Net.Server | undefined
    if (config.unixSocketDir !== undefined) {
      unixSocketPath = Path.join(config.unixSocketDir, `.s.PGSQL.${bound.port}`)
      yield* lockUnixSocket(unixSocketPath, bound.port, config.unixSocketDir, config.host)
      unix = yield* listen(accept(unixSocketPath), { path: unixSocketPath })
    }

    yield* Effect.addFinalizer(() => shutdown(env, config, [tcp, unix]))
    yield* Effect.logDebug(`pgwire server listening on ${bound.address}:${bound.port}`)
    return {
      address: { _tag: "TcpAddress", hostname: bound.address, port: bound.port },
      unixSocketPath,
      connections: Effect.sync(() => env.registry.open)
    } satisfies ServerShape
  })

const secureContext = (config: ServerConfig): Effect.Effect<NodeTlsContext, ServerError> =>
  Effect.try({
    try: () => ({
      secureContext: Tls.createSecureContext({
        cert: config.tls!.cert,
        key: config.tls!.key,
        ...(config.tls!.ca !== undefined ? { ca: config.tls!.ca } : {})
      }),
      requestCert: config.tls!.requestCert === true
    }),
    catch: (cause) => new ServerError({ reason: `invalid TLS configuration: ${String(cause)}`, cause })
  })

const listen = (
  onConnection: (raw: Net.Socket) => void,
  where: Net.ListenOptions
): Effect.Effect<Net.Server, ServerError> =>
  Effect.async<Net.Server, ServerError>((resume) => {
    const server = Net.createServer({ noDelay: true }, onConnection)
    const onError = (cause: Error) =>
      resume(Effect.fail(new ServerError({ reason: `cannot listen on ${describe(where)}: ${cause.message}`, cause })))
    server.once("error", onError)
    server.listen(where, () => {
      server.off("error", onError)
      server.on("error", () => {})
      resume(Effect.succeed(server))
    })
  })

const describe = (where: Net.ListenOptions): string =>
  where.path !== undefined ? where.path : `${where.host}:${where.port}`

/** Stop accepting, drain within the grace period; the FiberSet's close then interrupts the rest. */
const shutdown = (env: ServerEnv, config: ServerConfig, servers: ReadonlyArray<Net.Server | undefined>) =>
  Effect.gen(function* () {
    for (const s of servers) s?.close()
    const drained = yield* Effect.interruptible(env.registry.drain).pipe(Effect.timeout(config.shutdownGracePeriod), Effect.option)
    if (drained._tag === "None") {
      yield* Effect.logWarning(`shutdown grace period over with ${env.registry.open} connections left; closing them`)
    }
  })
