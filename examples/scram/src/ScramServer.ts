/**
 * The SCRAM server as one Layer: SCRAM-SHA-256 logins against the users
 * file; with TLS, SCRAM-SHA-256-PLUS (channel binding) is offered first.
 * Each statement (but transaction control) answers with who you are and how
 * you logged in.
 */
import { Oid } from "@pgwire-ts/protocol"
import { QueryResult, ResultSet, Server, type ServerError, type ServerOptions, SimpleQueryHandler } from "@pgwire-ts/server"
import { Effect, Layer } from "effect"
import * as UsersFileAuthSource from "./UsersFileAuthSource.js"
import type { UsersFileError } from "./usersFile.js"

const fields = [
  ResultSet.field("user", Oid.text),
  ResultSet.field("auth_method", Oid.text),
  ResultSet.field("ssl", Oid.bool)
]

// Drivers wrap work in transactions (psycopg2 sends BEGIN before its first
// query), so transaction control gets its proper command tags.
const transactionControl = (statement: string): QueryResult | undefined => {
  const word = /^\s*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase()
  if (word === "BEGIN" || word === "START") return QueryResult.command("BEGIN", { transaction: "begin" })
  if (word === "COMMIT" || word === "END") return QueryResult.command("COMMIT", { transaction: "commit" })
  if (word === "ROLLBACK" || word === "ABORT") return QueryResult.command("ROLLBACK", { transaction: "rollback" })
  return undefined
}

export const WhoAmIHandler = SimpleQueryHandler.perStatement((statement, session) =>
  Effect.succeed(
    transactionControl(statement) ??
      ResultSet.make({ fields, rows: [[session.user, session.authMethod, session.tls !== undefined]] })
  )
)

export interface ScramServerOptions extends Omit<ServerOptions, "auth"> {
  /** The users file (see `usersFile.ts`); made with `add-user`. */
  readonly usersFile: string
}

export const layer = (options: ScramServerOptions): Layer.Layer<Server, ServerError | UsersFileError> => {
  const { usersFile, ...serverOptions } = options
  return Server.layer({ ...serverOptions, auth: "scram-sha-256" }).pipe(
    Layer.provide(WhoAmIHandler),
    Layer.provide(UsersFileAuthSource.layer(usersFile))
  )
}
