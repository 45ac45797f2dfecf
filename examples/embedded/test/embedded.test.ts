import { HttpServer } from "@effect/platform"
import { SqlClient, SqlSchema } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Server } from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Schema, Scope, String as Str } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppLive } from "../src/App.js"

interface Ports {
  readonly http: number
  readonly pg: number
}

const startApp = async (todos: ReadonlyArray<string>) => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(AppLive({ httpPort: 0, pgPort: 0, todos, shutdownGracePeriod: 2_000 }), scope)
  )
  const http = Context.get(context, HttpServer.HttpServer).address
  const ports: Ports = { http: http._tag === "TcpAddress" ? http.port : -1, pg: Context.get(context, Server).address.port }
  return { ports, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const api = (ports: Ports, path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${ports.http}${path}`, init)
const postTodo = (ports: Ports, title: string) =>
  api(ports, "/todos", { method: "POST", body: JSON.stringify({ title }), headers: { "content-type": "application/json" } })

const TodoRow = Schema.Struct({ id: Schema.Number, title: Schema.String, done: Schema.Boolean, createdAt: Schema.DateFromSelf })

/** Runs `f` with an @effect/sql-pg client connected to the app's PostgreSQL door. */
const withSql = <A, E>(ports: Ports, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, f).pipe(
      Effect.provide(
        PgClient.layer({
          host: "127.0.0.1",
          port: ports.pg,
          username: "app",
          database: "todos",
          maxConnections: 1,
          transformResultNames: Str.snakeToCamel
        })
      )
    )
  )

describe("an Effect HTTP app with a PostgreSQL front door over the same data", () => {
  let app: Awaited<ReturnType<typeof startApp>>
  beforeAll(async () => {
    app = await startApp(["write the README"])
  })
  afterAll(() => app.stop())

  it("a todo posted over HTTP is read over SQL (node-postgres and psql-style text)", async () => {
    const created = await postTodo(app.ports, "buy milk")
    expect(created.status).toBe(201)
    const client = new pg.Client({ host: "127.0.0.1", port: app.ports.pg, user: "app", database: "todos" })
    await client.connect()
    try {
      const r = await client.query("SELECT id, title, done FROM todos ORDER BY id")
      expect(r.fields.map((f) => f.dataTypeID)).toEqual([23, 25, 16])
      expect(r.rows).toEqual([
        { id: 1, title: "write the README", done: false },
        { id: 2, title: "buy milk", done: false }
      ])
    } finally {
      await client.end()
    }
  })

  it("@effect/sql-pg: typed queries and writes through SQL show up over HTTP", async () => {
    const result = await withSql(app.ports, (sql) =>
      Effect.gen(function* () {
        const findAll = SqlSchema.findAll({ Request: Schema.Void, Result: TodoRow, execute: () => sql`SELECT * FROM todos ORDER BY id` })
        yield* sql`INSERT INTO todos (title, done) VALUES ('from effect', true)`
        yield* sql`UPDATE todos SET done = true WHERE id = 1`
        const todos = yield* findAll()
        const [count] = yield* sql<{ count: string }>`SELECT count(*) FROM todos WHERE done = true`
        return { todos, count }
      })
    )
    expect(result.todos.map((t) => [t.id, t.title, t.done])).toEqual([
      [1, "write the README", true],
      [2, "buy milk", false],
      [3, "from effect", true]
    ])
    expect(result.todos.every((t) => t.createdAt instanceof Date && !Number.isNaN(t.createdAt.getTime()))).toBe(true)
    expect(result.count).toEqual({ count: "2" })
    const overHttp = (await (await api(app.ports, "/todos")).json()) as Array<{ id: number; title: string; done: boolean }>
    expect(overHttp.map((t) => [t.id, t.title, t.done])).toEqual([
      [1, "write the README", true],
      [2, "buy milk", false],
      [3, "from effect", true]
    ])
  })

  it("@effect/sql-pg: parameterized typed queries go through the extended protocol", async () => {
    const result = await withSql(app.ports, (sql) =>
      Effect.gen(function* () {
        const byId = SqlSchema.findOne({
          Request: Schema.Number,
          Result: TodoRow,
          execute: (id) => sql`SELECT * FROM todos WHERE id = ${id}`
        })
        const [added] = yield* sql<{ id: number; title: string; done: boolean }>`INSERT INTO todos (title, done) VALUES (${"with params"}, ${false}) RETURNING *`
        yield* sql`UPDATE todos SET done = ${true}, title = ${"it's done"} WHERE id = ${added!.id}`
        const found = yield* byId(added!.id)
        const missing = yield* byId(999)
        const nullTitle = yield* Effect.flip(sql`INSERT INTO todos (title) VALUES (${null})`)
        return { added, found, missing, nullTitle }
      })
    )
    expect(result.added).toMatchObject({ title: "with params", done: false })
    expect(result.found._tag === "Some" && [result.found.value.title, result.found.value.done]).toEqual(["it's done", true])
    expect(result.missing._tag).toBe("None")
    expect(String(result.nullTitle.cause)).toMatch(/null value in column "title"/)
    const overHttp = (await (await api(app.ports, "/todos")).json()) as Array<{ id: number; title: string }>
    expect(overHttp.find((t) => t.id === result.added!.id)?.title).toBe("it's done")
    // Undo, so the next test sees the list it expects.
    const client = new pg.Client({ host: "127.0.0.1", port: app.ports.pg, user: "app", database: "todos" })
    await client.connect()
    await client.query({ text: "DELETE FROM todos WHERE id = $1", values: [result.added!.id] })
    await client.end()
  })

  it("changes over HTTP and over SQL interleave on one list", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: app.ports.pg, user: "app", database: "todos" })
    await client.connect()
    try {
      expect((await api(app.ports, "/todos/2", { method: "DELETE" })).status).toBe(204)
      expect((await client.query("SELECT count(*) FROM todos WHERE id = 2")).rows).toEqual([{ count: "0" }])
      const deleted = await client.query("DELETE FROM todos WHERE id = 3")
      expect([deleted.command, deleted.rowCount]).toEqual(["DELETE", 1])
      expect((await api(app.ports, "/todos/3", { method: "PATCH", body: JSON.stringify({ done: false }) })).status).toBe(404)
      const inserted = await client.query("INSERT INTO todos (title) VALUES ('it''s SQL'), ('and more') RETURNING *")
      expect(inserted.rows.map((r: { id: number; title: string }) => [r.id, r.title])).toEqual([
        // Ids are never reused: 4 went to the parameterized test's todo.
        [5, "it's SQL"],
        [6, "and more"]
      ])
      const overHttp = (await (await api(app.ports, "/todos")).json()) as Array<{ title: string }>
      expect(overHttp.map((t) => t.title)).toEqual(["write the README", "it's SQL", "and more"])
    } finally {
      await client.end()
    }
  })

  it("SQL it does not speak is a syntax error with a position, and the session goes on", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: app.ports.pg, user: "app", database: "todos" })
    await client.connect()
    try {
      await expect(client.query("SELECT * FROM users")).rejects.toMatchObject({ code: "42601", position: "15" })
      await expect(client.query("UPDATE todos SET id = 7")).rejects.toMatchObject({ code: "42601", position: "18" })
      // The position counts from the start of the query string, across statements and comments.
      await expect(client.query("SELECT count(*) FROM todos; /* next */ DELETE todos")).rejects.toMatchObject({
        code: "42601",
        position: "47"
      })
      expect((await client.query("SELECT 1")).rows).toEqual([{ "?column?": 1 }])
    } finally {
      await client.end()
    }
  })
})

describe("shutdown", () => {
  it("closing the app's scope stops both doors; an idle SQL session gets FATAL 57P01", async () => {
    const app = await startApp([])
    const client = new pg.Client({ host: "127.0.0.1", port: app.ports.pg, user: "app", database: "todos" })
    await client.connect()
    const ended = new Promise<unknown>((resolve) => client.on("error", resolve))
    expect((await api(app.ports, "/todos")).status).toBe(200)
    await app.stop()
    expect(await ended).toMatchObject({ code: "57P01", severity: "FATAL" })
    await expect(api(app.ports, "/todos")).rejects.toThrow()
    const late = new pg.Client({ host: "127.0.0.1", port: app.ports.pg, user: "app", database: "todos" })
    await expect(late.connect()).rejects.toMatchObject({ code: "ECONNREFUSED" })
  })
})
