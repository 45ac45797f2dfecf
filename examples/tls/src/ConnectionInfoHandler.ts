/**
 * What this example answers: every statement (but BEGIN/COMMIT/ROLLBACK) returns one row describing the
 * caller's own connection (user, TLS version, cipher, SNI), so a client can
 * see the encryption it got.
 */
import { Oid } from "@pgwire-ts/protocol"
import { QueryResult, ResultSet, SimpleQueryHandler } from "@pgwire-ts/server"
import { Effect } from "effect"

const fields = [
  ResultSet.field("user", Oid.text),
  ResultSet.field("ssl", Oid.bool),
  ResultSet.field("version", Oid.text),
  ResultSet.field("cipher", Oid.text),
  ResultSet.field("sni", Oid.text),
  ResultSet.field("negotiation", Oid.text)
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

export const ConnectionInfoHandler = SimpleQueryHandler.perStatement((statement, session) =>
  Effect.succeed(
    transactionControl(statement) ??
    ResultSet.make({
      fields,
      rows: [
        [
          session.user,
          session.tls !== undefined,
          session.tls?.protocol,
          session.tls?.cipher,
          session.tls?.sni,
          session.tls?.negotiation
        ]
      ]
    })
  )
)
