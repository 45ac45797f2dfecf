/**
 * The SQL this front door understands: just enough to read and change the
 * todo list from any PostgreSQL client.
 *
 *   SELECT * | count(*) | id, title, done, created_at FROM todos
 *     [WHERE column = value] [ORDER BY column [ASC|DESC]] [LIMIT n]
 *   SELECT <integer>                                   (drivers' health checks)
 *   INSERT INTO todos (title[, done]) VALUES ('...'[, true]), ... [RETURNING *]
 *   UPDATE todos SET title = '...' | done = true [, ...] [WHERE column = value]
 *   DELETE FROM todos [WHERE column = value]
 *
 * Wherever a value goes, `$1`, `$2`... may stand instead (extended query
 * protocol); the parser records each parameter's type from where it stands.
 *
 * Anything else is a `SqlSyntaxError` carrying the 1-based position of the
 * token where parsing stopped (the parser throws it internally; `parseStatement`
 * returns it as the Left of an Either).
 */
import { Data, Either } from "effect"

export const COLUMNS = ["id", "title", "done", "created_at"] as const
export type Column = (typeof COLUMNS)[number]
export type Value = number | string | boolean

/** `$n` (1-based), bound to a value when the statement runs. */
export interface Param {
  readonly _tag: "Param"
  readonly index: number
}

export type Operand<A> = A | Param

/** The PostgreSQL type a parameter gets from its place: a column's type, or int8 for LIMIT. */
export type ParamType = "int4" | "int8" | "text" | "bool" | "timestamptz"

export const COLUMN_TYPES: Readonly<Record<Column, ParamType>> = { id: "int4", title: "text", done: "bool", created_at: "timestamptz" }

export interface Condition {
  readonly column: Column
  readonly value: Operand<Value>
}

export type Statement =
  | {
      readonly _tag: "Select"
      readonly columns: ReadonlyArray<Column> | "count"
      readonly where: Condition | undefined
      readonly orderBy: { readonly column: Column; readonly descending: boolean } | undefined
      readonly limit: Operand<number> | undefined
    }
  | { readonly _tag: "SelectConstant"; readonly value: number }
  | {
      readonly _tag: "Insert"
      readonly rows: ReadonlyArray<{ readonly title: Operand<string>; readonly done: Operand<boolean> }>
      readonly returning: boolean
    }
  | {
      readonly _tag: "Update"
      readonly title: Operand<string> | undefined
      readonly done: Operand<boolean> | undefined
      readonly where: Condition | undefined
    }
  | { readonly _tag: "Delete"; readonly where: Condition | undefined }

/** A parsed statement and the types of its parameters ($1 at index 0; an unused number is text). */
export interface ParsedSql {
  readonly statement: Statement
  readonly parameterTypes: ReadonlyArray<ParamType>
}

export class SqlSyntaxError extends Data.TaggedError("SqlSyntaxError")<{ readonly message: string; readonly position: number }> {}

interface Token {
  readonly kind: "word" | "number" | "string" | "punct" | "param"
  readonly text: string
  readonly position: number
}

const tokenize = (sql: string): Array<Token> => {
  const tokens: Array<Token> = []
  // Whitespace and comments are skipped; then a word, an integer, a 'string', one punctuation mark or $n.
  const re = /\s+|--[^\n]*|\/\*[\s\S]*?\*\/|([A-Za-z_][A-Za-z0-9_]*)|(-?\d+)|'((?:[^']|'')*)'|([(),*=;])|\$(\d+)/y
  let i = 0
  while (i < sql.length) {
    re.lastIndex = i
    const m = re.exec(sql)
    if (m === null) throw new SqlSyntaxError({ message: `syntax error at or near "${sql.slice(i, i + 10)}"`, position: i + 1 })
    if (m[1] !== undefined) tokens.push({ kind: "word", text: m[1].toLowerCase(), position: i + 1 })
    else if (m[2] !== undefined) tokens.push({ kind: "number", text: m[2], position: i + 1 })
    else if (m[3] !== undefined) tokens.push({ kind: "string", text: m[3].replace(/''/g, "'"), position: i + 1 })
    else if (m[4] !== undefined) tokens.push({ kind: "punct", text: m[4], position: i + 1 })
    else if (m[5] !== undefined) tokens.push({ kind: "param", text: m[5], position: i + 1 })
    i = re.lastIndex
  }
  return tokens
}

class Parser {
  private at = 0
  readonly parameterTypes: Array<ParamType | undefined> = []
  constructor(
    private readonly tokens: ReadonlyArray<Token>,
    private readonly length: number
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.at]
  }

  fail(what: string): never {
    const t = this.peek()
    throw new SqlSyntaxError({
      message: t === undefined ? `syntax error at end of input: expected ${what}` : `syntax error at or near "${t.text}": expected ${what}`,
      position: t?.position ?? this.length + 1
    })
  }

  accept(text: string): boolean {
    const t = this.peek()
    if (t !== undefined && (t.kind === "word" || t.kind === "punct") && t.text === text) {
      this.at++
      return true
    }
    return false
  }

  expect(text: string): void {
    if (!this.accept(text)) this.fail(`"${text}"`)
  }

  column(): Column {
    const t = this.peek()
    if (t?.kind === "word" && (COLUMNS as ReadonlyArray<string>).includes(t.text)) {
      this.at++
      return t.text as Column
    }
    return this.fail(`a column (${COLUMNS.join(", ")})`)
  }

  /** `$n` here, recorded with the type its place gives it. */
  private param(type: ParamType): Param | undefined {
    const t = this.peek()
    if (t?.kind !== "param") return undefined
    const index = Number(t.text)
    if (index < 1 || index > 65535) return this.fail("a parameter from $1 to $65535")
    this.at++
    this.parameterTypes[index - 1] ??= type
    return { _tag: "Param", index }
  }

  value(type: ParamType): Operand<Value> {
    const param = this.param(type)
    if (param !== undefined) return param
    const t = this.peek()
    if (t === undefined) return this.fail("a value")
    this.at++
    if (t.kind === "number") return Number(t.text)
    if (t.kind === "string") return t.text
    if (t.kind === "word" && (t.text === "true" || t.text === "false")) return t.text === "true"
    this.at--
    return this.fail("a value")
  }

  integer(): Operand<number> {
    const param = this.param("int8")
    if (param !== undefined) return param
    const t = this.peek()
    if (t?.kind !== "number") return this.fail("an integer")
    this.at++
    return Number(t.text)
  }

  boolean(): Operand<boolean> {
    const v = this.value("bool")
    if (typeof v === "boolean" || typeof v === "object") return v
    // PostgreSQL reads 't'/'f' and 'true'/'false' literals as booleans too.
    if (v === "t" || v === "true") return true
    if (v === "f" || v === "false") return false
    this.at--
    return this.fail("true or false")
  }

  string(): Operand<string> {
    const param = this.param("text")
    if (param !== undefined) return param
    const t = this.peek()
    if (t?.kind !== "string") return this.fail("a string literal")
    this.at++
    return t.text
  }

  where(): Condition | undefined {
    if (!this.accept("where")) return undefined
    const column = this.column()
    this.expect("=")
    return { column, value: column === "done" ? this.boolean() : this.value(COLUMN_TYPES[column]) }
  }

  end(): void {
    this.accept(";")
    if (this.peek() !== undefined) this.fail("end of statement")
  }

  statement(): Statement {
    if (this.accept("select")) return this.select()
    if (this.accept("insert")) return this.insert()
    if (this.accept("update")) return this.update()
    if (this.accept("delete")) return this.delete()
    return this.fail("SELECT, INSERT, UPDATE or DELETE")
  }

  private select(): Statement {
    const first = this.peek()
    if (first?.kind === "number") {
      this.at++
      this.end()
      return { _tag: "SelectConstant", value: Number(first.text) }
    }
    let columns: ReadonlyArray<Column> | "count"
    if (this.accept("*")) columns = COLUMNS
    else if (this.accept("count")) {
      this.expect("(")
      this.expect("*")
      this.expect(")")
      columns = "count"
    } else {
      const list = [this.column()]
      while (this.accept(",")) list.push(this.column())
      columns = list
    }
    this.expect("from")
    this.expect("todos")
    const where = this.where()
    let orderBy: { column: Column; descending: boolean } | undefined
    if (this.accept("order")) {
      this.expect("by")
      const column = this.column()
      const descending = this.accept("desc")
      if (!descending) this.accept("asc")
      orderBy = { column, descending }
    }
    const limit = this.accept("limit") ? this.integer() : undefined
    this.end()
    return { _tag: "Select", columns, where, orderBy, limit }
  }

  private insert(): Statement {
    this.expect("into")
    this.expect("todos")
    this.expect("(")
    const columns = [this.column()]
    while (this.accept(",")) columns.push(this.column())
    this.expect(")")
    if (columns.some((c) => c !== "title" && c !== "done") || !columns.includes("title") || new Set(columns).size !== columns.length) {
      this.at--
      this.fail("the columns title and optionally done")
    }
    this.expect("values")
    const rows: Array<{ title: Operand<string>; done: Operand<boolean> }> = []
    do {
      this.expect("(")
      const row: { title: Operand<string>; done: Operand<boolean> } = { title: "", done: false }
      columns.forEach((c, i) => {
        if (i > 0) this.expect(",")
        if (c === "title") row.title = this.string()
        else row.done = this.boolean()
      })
      this.expect(")")
      rows.push(row)
    } while (this.accept(","))
    let returning = false
    if (this.accept("returning")) {
      this.expect("*")
      returning = true
    }
    this.end()
    return { _tag: "Insert", rows, returning }
  }

  private update(): Statement {
    this.expect("todos")
    this.expect("set")
    let title: Operand<string> | undefined
    let done: Operand<boolean> | undefined
    do {
      const column = this.column()
      this.expect("=")
      if (column === "title") title = this.string()
      else if (column === "done") done = this.boolean()
      else {
        this.at -= 2
        this.fail("title or done (the other columns are read-only)")
      }
    } while (this.accept(","))
    const where = this.where()
    this.end()
    return { _tag: "Update", title, done, where }
  }

  private delete(): Statement {
    this.expect("from")
    this.expect("todos")
    const where = this.where()
    this.end()
    return { _tag: "Delete", where }
  }
}

/** Parses one statement. */
export const parseStatement = (sql: string): Either.Either<ParsedSql, SqlSyntaxError> =>
  Either.try({
    try: () => {
      const parser = new Parser(tokenize(sql), sql.length)
      const statement = parser.statement()
      return { statement, parameterTypes: Array.from(parser.parameterTypes, (t) => t ?? "text") }
    },
    catch: (e) => (e instanceof SqlSyntaxError ? e : new SqlSyntaxError({ message: String(e), position: 1 }))
  })
