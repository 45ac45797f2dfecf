import { Chunk, Effect, Either, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { execute } from "../src/TodoSqlHandler.js"
import { parseStatement } from "../src/todoSql.js"
import { TodoStore } from "../src/TodoStore.js"

const parsed = (sql: string) => Either.getOrThrow(parseStatement(sql))
const error = (sql: string) => Either.match(parseStatement(sql), { onLeft: (e) => e, onRight: () => undefined })

const run = (sql: string, parameters?: ReadonlyArray<unknown>) =>
  Effect.flatMap(TodoStore, (store) => execute(store, parsed(sql).statement, parameters))

describe("todo SQL", () => {
  it("parameters get their types from where they stand", () => {
    expect(parsed("SELECT * FROM todos WHERE id = $1 LIMIT $2").parameterTypes).toEqual(["int4", "int8"])
    expect(parsed("INSERT INTO todos (done, title) VALUES ($2, $1), ($3, 'x')").parameterTypes).toEqual(["text", "bool", "bool"])
    expect(parsed("UPDATE todos SET title = $1 WHERE created_at = $2").parameterTypes).toEqual(["text", "timestamptz"])
    // $2 unused: text, as PostgreSQL reports an unused parameter's unknown type.
    expect(parsed("DELETE FROM todos WHERE title = $3").parameterTypes).toEqual(["text", "text", "text"])
  })

  it("syntax errors carry the position of the token that stopped the parser", () => {
    expect(error("SELECT * FROM todos WHERE")).toMatchObject({ position: 26, message: "syntax error at end of input: expected a column (id, title, done, created_at)" })
    expect(error("SELECT id FROM todos ORDER id")).toMatchObject({ position: 28 })
    expect(error("INSERT INTO todos (id) VALUES (1)")).toMatchObject({ message: expect.stringContaining("the columns title and optionally done") })
    expect(error("SELECT $0 FROM todos")).toBeDefined()
    expect(error("SELECT * FROM todos WHERE title = 'unterminated")).toMatchObject({ position: 35 })
  })

  it("runs with bound parameters; NULL matches nothing and is refused where a value is required", async () => {
    // The rows of a result, as the server would send them.
    const rows = (sql: string, parameters?: ReadonlyArray<unknown>) =>
      Effect.flatMap(run(sql, parameters), (r) =>
        r._tag === "Rows" ? Effect.map(Stream.runCollect(r.rows), Chunk.toArray) : Effect.die(`not rows: ${r._tag}`)
      )
    const outcome = await Effect.runPromise(
      Effect.gen(function* () {
        yield* run("INSERT INTO todos (title, done) VALUES ($1, $2), ($3, false)", ["a", true, "b"])
        return {
          byId: yield* rows("SELECT title, done FROM todos WHERE id = $1", [2]),
          limited: yield* rows("SELECT id FROM todos ORDER BY id DESC LIMIT $1", [1n]),
          nullMatch: yield* rows("SELECT count(*) FROM todos WHERE title = $1", [null]),
          nullTitle: yield* Effect.flip(run("INSERT INTO todos (title) VALUES ($1)", [null])),
          missing: yield* Effect.flip(run("SELECT * FROM todos WHERE id = $1"))
        }
      }).pipe(Effect.provide(TodoStore.layer()))
    )
    expect(outcome.byId).toEqual([["b", false]])
    expect(outcome.limited).toEqual([[2]])
    expect(outcome.nullMatch).toEqual([[0n]])
    expect(outcome.nullTitle).toMatchObject({ code: "23502" })
    expect(outcome.missing).toMatchObject({ code: "42P02", message: "there is no parameter $1" })
  })
})
