import { Oid, SqlState } from "@pgwire-ts/protocol"
import { execFile } from "node:child_process"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import { PgError } from "../src/errors/PgError.js"
import { AuthSource, Credential } from "../src/handlers/AuthSource.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Server, type ServerAddress } from "../src/Server.js"
import type { ServerOptions } from "../src/ServerOptions.js"

/** A small statement language for real-client tests. */
export const DemoHandler = SimpleQueryHandler.perStatement((statement, session) => {
  const s = statement.trim().toLowerCase()
  if (s === "select 1") return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("one", Oid.int4)], rows: [[1]] }))
  if (s === "whoami") {
    return Effect.succeed(
      ResultSet.make({
        fields: [
          ResultSet.field("user", Oid.text),
          ResultSet.field("database", Oid.text),
          ResultSet.field("auth", Oid.text),
          ResultSet.field("tls", Oid.text),
          ResultSet.field("sni", Oid.text),
          ResultSet.field("protocol", Oid.text)
        ],
        rows: [
          [
            session.user,
            session.database,
            session.authMethod,
            session.tls?.negotiation ?? "none",
            session.tls?.sni ?? null,
            `${session.protocolVersion.major}.${session.protocolVersion.minor}`
          ]
        ]
      })
    )
  }
  if (s === "types") {
    return Effect.succeed(
      ResultSet.make({
        fields: [
          ResultSet.field("i", Oid.int4),
          ResultSet.field("b", Oid.int8),
          ResultSet.field("t", Oid.text),
          ResultSet.field("ok", Oid.bool),
          ResultSet.field("f", Oid.float8),
          ResultSet.field("n", Oid.text)
        ],
        rows: [[42, 9007199254740993n, "héllo", true, 2.5, null]]
      })
    )
  }
  if (s.startsWith("series ")) {
    const n = Number(s.slice(7))
    return Effect.succeed(
      ResultSet.make({ fields: [ResultSet.field("n", Oid.int4)], rows: Stream.range(1, n).pipe(Stream.map((i) => [i])) })
    )
  }
  if (s === "begin") return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
  if (s === "commit") return Effect.succeed(QueryResult.command("COMMIT", { transaction: "commit" }))
  if (s === "rollback") return Effect.succeed(QueryResult.command("ROLLBACK", { transaction: "rollback" }))
  if (s === "insert") return Effect.succeed(QueryResult.command("INSERT 0 1"))
  if (s === "notice") return Effect.as(session.notice({ message: "careful", severity: "WARNING" }), QueryResult.command("DO"))
  return Effect.fail(PgError.make(SqlState.SyntaxError, `syntax error at or near "${statement}"`, { position: 1 }))
})

export const DemoUsers = AuthSource.fromRecord({
  alice: Credential.scram("alice-pw"),
  bob: "bob-pw",
  carol: Credential.md5("carol", "carol-pw")
})

/** Starts a TCP server on a free port for a test file; `stop` shuts it down. */
export const startServer = async (options: ServerOptions) => {
  const runtime = ManagedRuntime.make(
    Server.layer({ host: "127.0.0.1", port: 0, ...options }).pipe(Layer.provide(DemoHandler), Layer.provide(DemoUsers))
  )
  const server = await runtime.runPromise(Server)
  return {
    address: server.address as ServerAddress,
    port: server.address.port,
    unixSocketPath: server.unixSocketPath,
    connections: () => runtime.runPromise(server.connections),
    stop: () => runtime.dispose()
  }
}

export interface ProcessResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<ProcessResult> =>
  new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })

export const psql = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  run("/usr/bin/psql", ["-X", "-v", "ON_ERROR_STOP=0", ...args], { PGCONNECT_TIMEOUT: "10", ...env })

