import { Context, Effect, FiberSet, Layer, type Scope } from "effect"
import { runConnection } from "../connection/Connection.js"
import { makeEnv } from "../connection/makeEnv.js"
import type { ServerError } from "../ServerError.js"
import { resolveConfig, type ServerOptions } from "../ServerOptions.js"
import * as MemorySocket from "../transport/MemorySocket.js"
import { fromSocket } from "../transport/Transport.js"
import { makeTestClient, type StartupOptions, type TestClient, type TestClientError } from "./TestClient.js"

export interface TestServerShape {
  /** A new in-memory connection to the server; the client end of the socket pair, closed with the scope. */
  readonly connectSocket: Effect.Effect<MemorySocket.MemorySocketPair["client"], never, Scope.Scope>
  readonly connections: Effect.Effect<number>
}

/** An in-memory server built from the handler layers in context: no port, same connection code as TCP. */
export class TestServer extends Context.Tag("@pgwire-ts/server/TestServer")<TestServer, TestServerShape>() {}

const makeTestServer = (options: ServerOptions) =>
  Effect.gen(function* () {
    const config = resolveConfig(options)
    const env = yield* makeEnv(config)
    const fibers = yield* FiberSet.make<void>()
    const runFork = yield* FiberSet.runtime(fibers)<never>()
    yield* Effect.addFinalizer(() => Effect.interruptible(env.registry.drain).pipe(Effect.timeout(config.shutdownGracePeriod), Effect.ignore))
    const connectSocket = Effect.gen(function* () {
      const pair = yield* MemorySocket.makePair()
      yield* Effect.addFinalizer(() => pair.close)
      runFork(
        Effect.scoped(Effect.flatMap(fromSocket(pair.server, { remote: { _tag: "Memory" } }), (t) => runConnection(t, env)))
      )
      return pair.client
    })
    return { connectSocket, connections: Effect.sync(() => env.registry.open) } satisfies TestServerShape
  })

export const Testing = {
  /** The in-memory server; provide handler layers to it. Closing its scope drains it like `Server.layer`. */
  layer: (options: ServerOptions = {}): Layer.Layer<TestServer, ServerError> => Layer.scoped(TestServer, makeTestServer(options)),
  /** A connection with nothing sent yet, for raw protocol tests. */
  open: Effect.flatMap(TestServer, (s) => Effect.flatMap(s.connectSocket, makeTestClient)) as Effect.Effect<
    TestClient,
    never,
    TestServer | Scope.Scope
  >,
  /** A connection that has completed startup and authentication. */
  connect: (options?: StartupOptions): Effect.Effect<TestClient, TestClientError, TestServer | Scope.Scope> =>
    Effect.flatMap(Testing.open, (c) => Effect.as(c.startup(options), c))
} as const
