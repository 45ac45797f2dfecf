import { SqlClient, SqlSchema } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Either, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer

beforeAll(async () => {
  server = await startServer({})
})

afterAll(async () => {
  await server?.stop()
})

class Product extends Schema.Class<Product>("Product")({
  id: Schema.NumberFromString,
  name: Schema.String,
  price: Schema.Number,
  stock: Schema.Number,
  active: Schema.Boolean
}) {}

/** An Effect program over @effect/sql-pg (postgres.js underneath: the extended protocol throughout). */
const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price DOUBLE PRECISION NOT NULL, stock INT NOT NULL, active BOOLEAN NOT NULL)`
  yield* sql`INSERT INTO products ${sql.insert([
    { id: 1, name: "pen", price: 1.5, stock: 100, active: true },
    { id: 2, name: "ink", price: 7.25, stock: 3, active: true },
    { id: 3, name: "quill", price: 30, stock: 0, active: false }
  ])}`
  const activeProducts = SqlSchema.findAll({
    Request: Schema.Boolean,
    Result: Product,
    execute: (active) => sql`SELECT id, name, price, stock, active FROM products WHERE active = ${active} ORDER BY id`
  })
  const byId = SqlSchema.findOne({
    Request: Schema.Number,
    Result: Product,
    execute: (id) => sql`SELECT id, name, price, stock, active FROM products WHERE id = ${id}`
  })
  const active = yield* activeProducts(true)
  const missing = yield* byId(42)
  // a transaction that commits, and one that fails and rolls back
  const sell = (id: number, quantity: number) =>
    Effect.gen(function*() {
      yield* sql`UPDATE products SET stock = stock - ${quantity} WHERE id = ${id}`
      const [row] = yield* sql<{ stock: number }>`SELECT stock FROM products WHERE id = ${id}`
      if (row!.stock < 0) return yield* Effect.fail("out of stock" as const)
      return row!.stock
    }).pipe(sql.withTransaction)
  const sold = yield* sell(1, 10)
  const refused = yield* Effect.either(sell(2, 5))
  const after = yield* byId(2)
  const duplicate = yield* Effect.either(sql`INSERT INTO products ${sql.insert({ id: 1, name: "again", price: 0, stock: 0, active: true })}`)
  return { active, missing, sold, refused, after, duplicate }
})

describe("@effect/sql-pg against the SQLite server", () => {
  it("typed queries through SqlSchema, transactions that commit and roll back, errors", async () => {
    const out = await Effect.runPromise(
      program.pipe(Effect.provide(PgClient.layer({ host: "127.0.0.1", port: server.port, username: "effect", database: "shop", maxConnections: 1 })))
    )
    expect(out.active).toEqual([
      new Product({ id: 1, name: "pen", price: 1.5, stock: 100, active: true }),
      new Product({ id: 2, name: "ink", price: 7.25, stock: 3, active: true })
    ])
    expect(out.missing._tag).toBe("None")
    expect(out.sold).toBe(90)
    expect(out.refused).toEqual(Either.left("out of stock"))
    expect(out.after).toMatchObject({ _tag: "Some", value: { stock: 3 } })
    expect(Either.isLeft(out.duplicate) && (out.duplicate.left.cause as { code?: string }).code).toBe("23505")
  })
})
