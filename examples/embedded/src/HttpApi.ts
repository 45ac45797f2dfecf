/**
 * The application as it was before it had a PostgreSQL door: a JSON HTTP
 * API over the todo list (@effect/platform's HttpRouter).
 *   GET /todos, POST /todos {title}, PATCH /todos/:id {title?, done?}, DELETE /todos/:id
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { type Todo, TodoStore } from "./TodoStore.js"

const IdParams = Schema.Struct({ id: Schema.NumberFromString.pipe(Schema.int()) })
const NewTodo = Schema.Struct({ title: Schema.NonEmptyString })
const Patch = Schema.Struct({ title: Schema.optional(Schema.NonEmptyString), done: Schema.optional(Schema.Boolean) })

const toJson = (t: Todo) => ({ id: t.id, title: t.title, done: t.done, createdAt: t.createdAt.toISOString() })

const badRequest = () => HttpServerResponse.json({ error: "bad request" }, { status: 400 })
const notFound = HttpServerResponse.json({ error: "not found" }, { status: 404 })

export const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/todos",
    Effect.flatMap(TodoStore, (store) => Effect.flatMap(store.list, (todos) => HttpServerResponse.json(todos.map(toJson))))
  ),
  HttpRouter.post(
    "/todos",
    Effect.gen(function* () {
      const store = yield* TodoStore
      const body = yield* HttpServerRequest.schemaBodyJson(NewTodo)
      const todo = yield* store.add(body.title)
      return yield* HttpServerResponse.json(toJson(todo), { status: 201 })
    }).pipe(Effect.catchTags({ ParseError: badRequest, RequestError: badRequest }))
  ),
  HttpRouter.patch(
    "/todos/:id",
    Effect.gen(function* () {
      const store = yield* TodoStore
      const { id } = yield* HttpRouter.schemaPathParams(IdParams)
      const patch = yield* HttpServerRequest.schemaBodyJson(Patch)
      const [todo] = yield* store.update((t) => t.id === id, patch)
      return todo === undefined ? yield* notFound : yield* HttpServerResponse.json(toJson(todo))
    }).pipe(Effect.catchTags({ ParseError: badRequest, RequestError: badRequest }))
  ),
  HttpRouter.del(
    "/todos/:id",
    Effect.gen(function* () {
      const store = yield* TodoStore
      const { id } = yield* HttpRouter.schemaPathParams(IdParams)
      const removed = yield* store.remove((t) => t.id === id)
      return removed.length === 0 ? yield* notFound : HttpServerResponse.empty({ status: 204 })
    }).pipe(Effect.catchTags({ ParseError: badRequest }))
  )
)
