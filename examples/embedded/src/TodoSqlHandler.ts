/**
 * The PostgreSQL front door's query handler: statements of the todo SQL
 * (see `todoSql.ts`) run against the application's `TodoStore`.
 */
import { Oid, SqlState } from "@pgwire-ts/protocol"
import { PgError, QueryResult, ResultSet, SimpleQueryHandler, splitStatements } from "@pgwire-ts/server"
import { Effect, Either, Layer, Stream } from "effect"
import { type Column, type Condition, parseStatement, type SqlSyntaxError, type Statement } from "./todoSql.js"
import { type Todo, TodoStore, type TodoStoreShape } from "./TodoStore.js"

const FIELDS: Record<Column, ReturnType<typeof ResultSet.field>> = {
  id: ResultSet.field("id", Oid.int4),
  title: ResultSet.field("title", Oid.text),
  done: ResultSet.field("done", Oid.bool),
  created_at: ResultSet.field("created_at", Oid.timestamptz)
}

const cell = (todo: Todo, column: Column): unknown => {
  switch (column) {
    case "id":
      return todo.id
    case "title":
      return todo.title
    case "done":
      return todo.done
    case "created_at":
      return todo.createdAt
  }
}

const matches = (where: Condition | undefined) => (todo: Todo): boolean => {
  if (where === undefined) return true
  const v = cell(todo, where.column)
  return v instanceof Date ? v.getTime() === new Date(String(where.value)).getTime() : v === where.value
}

const compare = (column: Column) => (a: Todo, b: Todo): number => {
  const x = cell(a, column)
  const y = cell(b, column)
  return x instanceof Date && y instanceof Date ? x.getTime() - y.getTime() : x! < y! ? -1 : x! > y! ? 1 : 0
}

const rows = (columns: ReadonlyArray<Column>, todos: ReadonlyArray<Todo>) =>
  ({ fields: columns.map((c) => FIELDS[c]), rows: todos.map((t) => columns.map((c) => cell(t, c))) })

export const execute = (store: TodoStoreShape, statement: Statement): Effect.Effect<QueryResult> => {
  switch (statement._tag) {
    case "SelectConstant":
      return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("?column?", Oid.int4)], rows: [[statement.value]] }))
    case "Select":
      return Effect.map(store.list, (all) => {
        let todos = all.filter(matches(statement.where))
        if (statement.orderBy !== undefined) {
          const { column, descending } = statement.orderBy
          todos = [...todos].sort(compare(column))
          if (descending) todos.reverse()
        }
        if (statement.limit !== undefined) todos = todos.slice(0, Math.max(0, statement.limit))
        return statement.columns === "count"
          ? ResultSet.make({ fields: [ResultSet.field("count", Oid.int8)], rows: [[BigInt(todos.length)]] })
          : ResultSet.make(rows(statement.columns, todos))
      })
    case "Insert":
      return Effect.map(Effect.forEach(statement.rows, (r) => store.add(r.title, r.done)), (added) =>
        statement.returning
          ? ResultSet.make({ ...rows(["id", "title", "done", "created_at"], added), tag: `INSERT 0 ${added.length}` })
          : QueryResult.command(`INSERT 0 ${added.length}`)
      )
    case "Update":
      return Effect.map(
        store.update(matches(statement.where), { title: statement.title, done: statement.done }),
        (updated) => QueryResult.command(`UPDATE ${updated.length}`)
      )
    case "Delete":
      return Effect.map(store.remove(matches(statement.where)), (removed) => QueryResult.command(`DELETE ${removed.length}`))
  }
}

const syntaxError = (e: SqlSyntaxError, offset: number) =>
  PgError.make(SqlState.SyntaxError, e.message, {
    // PostgreSQL counts the position in the whole query string, not in the statement.
    position: offset + e.position,
    hint: "This server speaks a small SQL over one table, todos: see examples/embedded/src/todoSql.ts"
  })

/** Each statement of a query string with where it starts in the string. */
const statementsOf = (query: string): ReadonlyArray<{ readonly sql: string; readonly offset: number }> => {
  let from = 0
  return splitStatements(query).map((sql) => {
    const at = query.indexOf(sql, from)
    from = at < 0 ? from : at + sql.length
    return { sql, offset: Math.max(at, 0) }
  })
}

/** The handler Layer: give it the application's TodoStore. */
export const TodoSqlHandler: Layer.Layer<SimpleQueryHandler, never, TodoStore> = SimpleQueryHandler.layerEffect(
  Effect.map(TodoStore, (store) => (query: string) =>
    Stream.fromIterable(statementsOf(query)).pipe(
      Stream.mapEffect(({ offset, sql }) =>
        Either.match(parseStatement(sql), {
          onLeft: (e) => Effect.fail(syntaxError(e, offset)),
          onRight: (statement) => execute(store, statement)
        })
      )
    )
  )
)
