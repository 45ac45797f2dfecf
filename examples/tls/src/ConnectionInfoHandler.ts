/**
 * What this example answers: every statement returns one row describing the
 * caller's own connection (user, TLS version, cipher, SNI), so a client can
 * see the encryption it got.
 */
import { Oid } from "@pgwire-ts/protocol"
import { ResultSet, SimpleQueryHandler } from "@pgwire-ts/server"
import { Effect } from "effect"

const fields = [
  ResultSet.field("user", Oid.text),
  ResultSet.field("ssl", Oid.bool),
  ResultSet.field("version", Oid.text),
  ResultSet.field("cipher", Oid.text),
  ResultSet.field("sni", Oid.text),
  ResultSet.field("negotiation", Oid.text)
]

export const ConnectionInfoHandler = SimpleQueryHandler.perStatement((_statement, session) =>
  Effect.succeed(
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
