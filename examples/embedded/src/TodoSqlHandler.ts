/**
 * The PostgreSQL front door's handlers: statements of the todo SQL (see
 * `todoSql.ts`) run against the application's `TodoStore`, by simple query
 * and by the extended protocol (Parse/Bind/Describe/Execute with `$n`).
 */
import { Oid, SqlState, timestampTextToDate } from "@pgwire-ts/protocol"
import {
  ExtendedQueryHandler,
  type Field,
  PgError,
  type Portal,
  QueryParser,
  QueryResult,
  ResultSet,
  SimpleQueryHandler,
  splitStatements
} from "@pgwire-ts/server"
import { Effect, Either, Layer, Stream } from "effect"
import { type Column, COLUMNS, type Condition, type Operand, type Param, type ParamType, parseStatement, type SqlSyntaxError, type Statement, type Value } from "./todoSql.js"
import { type Todo, TodoStore, type TodoStoreShape } from "./TodoStore.js"

const FIELDS: Record<Column, Field> = {
  id: ResultSet.field("id", Oid.int4),
  title: ResultSet.field("title", Oid.text),
  done: ResultSet.field("done", Oid.bool),
  created_at: ResultSet.field("created_at", Oid.timestamptz)
}

/** The result columns of a statement (undefined: it returns no rows), known before it runs. */
export const fieldsOf = (statement: Statement): ReadonlyArray<Field> | undefined => {
  switch (statement._tag) {
    case "SelectConstant":
      return [ResultSet.field("?column?", Oid.int4)]
    case "Select":
      return statement.columns === "count" ? [ResultSet.field("count", Oid.int8)] : statement.columns.map((c) => FIELDS[c])
    case "Insert":
      return statement.returning ? COLUMNS.map((c) => FIELDS[c]) : undefined
    default:
      return undefined
  }
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

/** A value the comparison can use: bound parameters arrive as the codecs decode them (int8 → bigint, timestamptz → text). */
const comparable = (column: Column, value: Value | null): unknown => {
  if (value === null) return null
  if (column === "created_at") return timestampTextToDate(String(value)).getTime()
  return typeof value === "bigint" ? Number(value) : value
}

const matches = (where: { readonly column: Column; readonly value: Value | null } | undefined) => {
  if (where === undefined) return () => true
  const wanted = comparable(where.column, where.value)
  // `column = NULL` is never true in SQL.
  if (wanted === null) return () => false
  return (todo: Todo): boolean => {
    const v = cell(todo, where.column)
    return (v instanceof Date ? v.getTime() : v) === wanted
  }
}

const compare = (column: Column) => (a: Todo, b: Todo): number => {
  const x = cell(a, column)
  const y = cell(b, column)
  return x instanceof Date && y instanceof Date ? x.getTime() - y.getTime() : x! < y! ? -1 : x! > y! ? 1 : 0
}

const isParam = (operand: unknown): operand is Param =>
  typeof operand === "object" && operand !== null && (operand as Param)._tag === "Param"

/** Replaces `$n` with the bound value: the statement's parameters (none for simple query). */
const resolver = (parameters: ReadonlyArray<unknown> | undefined) =>
  <A>(operand: Operand<A>): Effect.Effect<A | null, PgError> => {
    if (!isParam(operand)) return Effect.succeed(operand)
    if (parameters === undefined || operand.index > parameters.length) {
      return Effect.fail(PgError.make(SqlState.UndefinedParameter, `there is no parameter $${operand.index}`))
    }
    const v = parameters[operand.index - 1]
    return Effect.succeed(v === undefined ? null : (v as A | null))
  }

const notNull = <A>(column: Column, value: A | null): Effect.Effect<A, PgError> =>
  value === null
    ? Effect.fail(PgError.make(SqlState.NotNullViolation, `null value in column "${column}" of relation "todos" violates not-null constraint`))
    : Effect.succeed(value)

const rowsOf = (columns: ReadonlyArray<Column>, todos: ReadonlyArray<Todo>) => todos.map((t) => columns.map((c) => cell(t, c)))

/** Runs a statement against the store; `parameters` are the values bound to `$1...` (extended query). */
export const execute = (
  store: TodoStoreShape,
  statement: Statement,
  parameters?: ReadonlyArray<unknown>
): Effect.Effect<QueryResult, PgError> =>
  Effect.gen(function* () {
    const resolve = resolver(parameters)
    const condition = (where: Condition | undefined) =>
      where === undefined ? Effect.succeed(undefined) : Effect.map(resolve(where.value), (value) => ({ column: where.column, value }))
    switch (statement._tag) {
      case "SelectConstant":
        return ResultSet.make({ fields: fieldsOf(statement)!, rows: [[statement.value]] })
      case "Select": {
        const where = yield* condition(statement.where)
        const limit = statement.limit === undefined ? undefined : yield* resolve(statement.limit)
        let todos = (yield* store.list).filter(matches(where))
        if (statement.orderBy !== undefined) {
          todos = [...todos].sort(compare(statement.orderBy.column))
          if (statement.orderBy.descending) todos.reverse()
        }
        if (limit !== undefined && limit !== null) todos = todos.slice(0, Math.max(0, Number(limit)))
        const fields = fieldsOf(statement)!
        return statement.columns === "count"
          ? ResultSet.make({ fields, rows: [[BigInt(todos.length)]] })
          : ResultSet.make({ fields, rows: rowsOf(statement.columns, todos) })
      }
      case "Insert": {
        const added: Array<Todo> = []
        for (const row of statement.rows) {
          const title = yield* notNull("title", yield* resolve(row.title))
          const done = yield* notNull("done", yield* resolve(row.done))
          added.push(yield* store.add(title, done))
        }
        const tag = `INSERT 0 ${added.length}`
        return statement.returning
          ? ResultSet.make({ fields: fieldsOf(statement)!, rows: rowsOf(COLUMNS, added), tag })
          : QueryResult.command(tag)
      }
      case "Update": {
        const title = statement.title === undefined ? undefined : yield* notNull("title", yield* resolve(statement.title))
        const done = statement.done === undefined ? undefined : yield* notNull("done", yield* resolve(statement.done))
        const updated = yield* store.update(matches(yield* condition(statement.where)), { title, done })
        return QueryResult.command(`UPDATE ${updated.length}`)
      }
      case "Delete": {
        const removed = yield* store.remove(matches(yield* condition(statement.where)))
        return QueryResult.command(`DELETE ${removed.length}`)
      }
    }
  })

export const syntaxError = (e: SqlSyntaxError, offset = 0) =>
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

/** The simple-query handler Layer: give it the application's TodoStore. */
export const TodoSqlHandler: Layer.Layer<SimpleQueryHandler, never, TodoStore> = SimpleQueryHandler.layerEffect(
  Effect.map(TodoStore, (store) => (query: string) =>
    Stream.fromIterable(statementsOf(query)).pipe(
      Stream.mapEffect(({ offset, sql }) =>
        Either.match(parseStatement(sql), {
          onLeft: (e) => Effect.fail(syntaxError(e, offset)),
          onRight: ({ statement }) => execute(store, statement)
        })
      )
    )
  )
)

const PARAM_OIDS: Readonly<Record<ParamType, number>> = {
  int4: Oid.int4,
  int8: Oid.int8,
  text: Oid.text,
  bool: Oid.bool,
  timestamptz: Oid.timestamptz
}

/** Parse (extended query): the statement, its parameters' types (the client's when it names them), its columns. */
export const TodoQueryParser: Layer.Layer<QueryParser> = QueryParser.layer<Statement>((sql, clientTypes) =>
  splitStatements(sql).length > 1
    ? Effect.fail(PgError.make(SqlState.SyntaxError, "cannot insert multiple commands into a prepared statement"))
    : Either.match(parseStatement(sql), {
        onLeft: (e) => Effect.fail(syntaxError(e)),
        onRight: ({ parameterTypes, statement }) =>
          Effect.succeed({
            statement,
            parameterTypes: parameterTypes.map((t, i) => (clientTypes[i] !== undefined && clientTypes[i] !== 0 ? clientTypes[i]! : PARAM_OIDS[t])),
            fields: fieldsOf(statement)
          })
      })
)

/** Execute (extended query): the parsed statement with the portal's bound values. */
export const TodoExtendedHandler: Layer.Layer<ExtendedQueryHandler, never, TodoStore> = ExtendedQueryHandler.layerEffect(
  Effect.map(TodoStore, (store) => (portal: Portal<Statement>) => execute(store, portal.statement, portal.parameters))
)
