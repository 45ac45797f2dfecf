// The README's "Write a server" and "Test handlers without a port" snippets, run as written
// (imports through the package name, as a user would).
import { expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { ResultSet, SimpleQueryHandler, Testing } from "@pgwire-ts/server"
import { Effect, Layer } from "effect"

const Handler = SimpleQueryHandler.perStatement((statement, session) =>
  Effect.succeed(ResultSet.make({
    fields: [ResultSet.field("greeting", Oid.text)],
    rows: [[`hello ${session.user}, you said ${statement}`]]
  })))

it.scoped("greets", () =>
  Effect.gen(function* () {
    const client = yield* Testing.connect({ user: "alice" })
    const outcome = yield* client.query("SELECT 1")
    expect(outcome.results[0]).toMatchObject({ _tag: "Rows", rows: [["hello alice, you said SELECT 1"]] })
  }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(Handler)))))
