/**
 * The application's own data: a todo list kept in a `Ref`. This is the
 * service the existing HTTP API uses; the PostgreSQL front door is given the
 * same service, so both doors see one list.
 */
import { Context, Effect, Layer, Ref } from "effect"

export interface Todo {
  readonly id: number
  readonly title: string
  readonly done: boolean
  readonly createdAt: Date
}

export interface TodoPatch {
  readonly title?: string | undefined
  readonly done?: boolean | undefined
}

export interface TodoStoreShape {
  readonly list: Effect.Effect<ReadonlyArray<Todo>>
  readonly add: (title: string, done?: boolean) => Effect.Effect<Todo>
  /** Applies `patch` to every todo matching `where`; returns the updated todos. */
  readonly update: (where: (todo: Todo) => boolean, patch: TodoPatch) => Effect.Effect<ReadonlyArray<Todo>>
  /** Removes every todo matching `where`; returns the removed todos. */
  readonly remove: (where: (todo: Todo) => boolean) => Effect.Effect<ReadonlyArray<Todo>>
}

interface State {
  readonly nextId: number
  readonly todos: ReadonlyArray<Todo>
}

export class TodoStore extends Context.Tag("@pgwire-ts/example-embedded/TodoStore")<TodoStore, TodoStoreShape>() {
  /** An empty list (or the given titles), fresh for each build of the layer. */
  static layer(initial: ReadonlyArray<string> = []): Layer.Layer<TodoStore> {
    return Layer.effect(
      TodoStore,
      Effect.gen(function* () {
        const now = new Date()
        const state = yield* Ref.make<State>({
          nextId: initial.length + 1,
          todos: initial.map((title, i) => ({ id: i + 1, title, done: false, createdAt: now }))
        })
        return {
          list: Effect.map(Ref.get(state), (s) => s.todos),
          add: (title, done = false) =>
            Ref.modify(state, (s): [Todo, State] => {
              const todo = { id: s.nextId, title, done, createdAt: new Date() }
              return [todo, { nextId: s.nextId + 1, todos: [...s.todos, todo] }]
            }),
          update: (where, patch) =>
            Ref.modify(state, (s): [ReadonlyArray<Todo>, State] => {
              const updated: Array<Todo> = []
              const todos = s.todos.map((t) => {
                if (!where(t)) return t
                const next = { ...t, title: patch.title ?? t.title, done: patch.done ?? t.done }
                updated.push(next)
                return next
              })
              return [updated, { ...s, todos }]
            }),
          remove: (where) =>
            Ref.modify(state, (s): [ReadonlyArray<Todo>, State] => [
              s.todos.filter(where),
              { ...s, todos: s.todos.filter((t) => !where(t)) }
            ])
        } satisfies TodoStoreShape
      })
    )
  }
}
