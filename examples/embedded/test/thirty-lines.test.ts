import { Server } from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { KeyValueServer } from "../src/thirty-lines.js"

describe("the 30-line server from examples/README.md", () => {
  let port = 0
  const scope = Effect.runSync(Scope.make())
  beforeAll(async () => {
    const context = await Effect.runPromise(Layer.buildWithScope(KeyValueServer(0), scope))
    port = Context.get(context, Server).address.port
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  it("stores and reads keys over node-postgres; unknown commands are errors", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "me", database: "kv" })
    await client.connect()
    try {
      const set = await client.query("SET greeting = hello, world")
      expect(set.command).toBe("SET")
      await client.query("SET answer = 42")
      expect((await client.query("GET greeting")).rows).toEqual([{ value: "hello, world" }])
      expect((await client.query("GET missing")).rows).toEqual([{ value: null }])
      expect((await client.query("KEYS")).rows).toEqual([{ key: "greeting" }, { key: "answer" }])
      await expect(client.query("DROP everything")).rejects.toMatchObject({ code: "42601", hint: "try SET k = v, GET k or KEYS" })
    } finally {
      await client.end()
    }
  })
})

describe("examples/README.md", () => {
  it("shows thirty-lines.ts exactly as it is, and it is at most 30 lines", () => {
    const source = readFileSync(fileURLToPath(new URL("../src/thirty-lines.ts", import.meta.url)), "utf8")
    const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8")
    const block = /## Write your own server in 30 lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBe(source)
    expect(source.trimEnd().split("\n").length).toBeLessThanOrEqual(30)
  })
})
