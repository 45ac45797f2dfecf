/**
 * CREATE / ALTER / DROP PUBLICATION, PostgreSQL's syntax, parsed into what
 * the change log needs: which tables a publication covers and which
 * operations it publishes.
 */

export type PublishedOp = "insert" | "update" | "delete" | "truncate"
export const ALL_OPS: ReadonlyArray<PublishedOp> = ["insert", "update", "delete", "truncate"]

export type PublicationCommand =
  | {
      readonly _tag: "Create"
      readonly name: string
      /** undefined: FOR ALL TABLES; [] when no FOR clause (a publication of nothing, as PostgreSQL). */
      readonly tables: ReadonlyArray<string> | undefined
      readonly publish: ReadonlyArray<PublishedOp>
    }
  | { readonly _tag: "Drop"; readonly names: ReadonlyArray<string>; readonly ifExists: boolean }
  | { readonly _tag: "AlterTables"; readonly name: string; readonly action: "add" | "set" | "drop"; readonly tables: ReadonlyArray<string> }
  | { readonly _tag: "AlterPublish"; readonly name: string; readonly publish: ReadonlyArray<PublishedOp> }

/** A publication statement we parse but do not support (a SQLSTATE and message to answer with). */
export interface PublicationRefusal {
  readonly _tag: "Refused"
  readonly code: string
  readonly message: string
}

type Token = { readonly kind: "word" | "ident" | "string" | "punct"; readonly text: string }

const lex = (sql: string): ReadonlyArray<Token> | undefined => {
  const out: Array<Token> = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w$]*/.exec(sql.slice(i))!
      out.push({ kind: "word", text: m[0] })
      i += m[0].length
    } else if (c === '"' || c === "'") {
      let text = ""
      let j = i + 1
      for (;;) {
        const end = sql.indexOf(c, j)
        if (end < 0) return undefined
        text += sql.slice(j, end)
        if (sql[end + 1] === c) {
          text += c
          j = end + 2
          continue
        }
        i = end + 1
        break
      }
      out.push({ kind: c === '"' ? "ident" : "string", text })
    } else {
      out.push({ kind: "punct", text: c })
      i++
    }
  }
  return out
}

class Refuse {
  constructor(readonly code: string, readonly message: string) {}
}

const syntax = (near: Token | undefined) =>
  new Refuse("42601", near === undefined ? "syntax error at end of input" : `syntax error at or near "${near.text}"`)

class Cursor {
  i = 0
  constructor(readonly tokens: ReadonlyArray<Token>) {}
  peek(): Token | undefined {
    return this.tokens[this.i]
  }
  word(w: string): boolean {
    const t = this.peek()
    if (t?.kind === "word" && t.text.toUpperCase() === w) {
      this.i++
      return true
    }
    return false
  }
  expectWord(w: string): void {
    if (!this.word(w)) throw syntax(this.peek())
  }
  punct(p: string): boolean {
    const t = this.peek()
    if (t?.kind === "punct" && t.text === p) {
      this.i++
      return true
    }
    return false
  }
  /** Unquoted names fold to lower case, as PostgreSQL's. */
  name(): string {
    const t = this.peek()
    if (t?.kind === "word") {
      this.i++
      return t.text.toLowerCase()
    }
    if (t?.kind === "ident") {
      this.i++
      return t.text
    }
    throw syntax(t)
  }
  /** A table name as written (quoted names keep their case; SQLite compares without case anyway); a schema prefix is dropped. */
  table(): string {
    this.word("ONLY")
    let name = this.tableName()
    while (this.punct(".")) name = this.tableName()
    this.punct("*")
    const t = this.peek()
    if (t?.kind === "punct" && t.text === "(") throw new Refuse("0A000", "column lists in publications are not supported by this server")
    if (t?.kind === "word" && t.text.toUpperCase() === "WHERE") throw new Refuse("0A000", "row filters in publications are not supported by this server")
    return name
  }
  private tableName(): string {
    const t = this.peek()
    if (t?.kind === "word" || t?.kind === "ident") {
      this.i++
      return t.text
    }
    throw syntax(t)
  }
  end(): void {
    this.punct(";")
    if (this.peek() !== undefined) throw syntax(this.peek())
  }
}

/** The publication statement `sql` is, a refusal, or undefined when it is none (other SQL). */
export const parsePublicationCommand = (sql: string): PublicationCommand | PublicationRefusal | undefined => {
  if (!/^\s*(CREATE|ALTER|DROP)\s+PUBLICATION\b/i.test(sql)) return undefined
  const tokens = lex(sql)
  if (tokens === undefined) return { _tag: "Refused", code: "42601", message: "unterminated quoted string or identifier" }
  try {
    return parse(new Cursor(tokens))
  } catch (e) {
    if (e instanceof Refuse) return { _tag: "Refused", code: e.code, message: e.message }
    throw e
  }
}

const parse = (c: Cursor): PublicationCommand => {
  if (c.word("CREATE")) {
    c.expectWord("PUBLICATION")
    const name = c.name()
    let tables: ReadonlyArray<string> | undefined = []
    if (c.word("FOR")) {
      if (c.word("ALL")) {
        c.expectWord("TABLES")
        tables = undefined
      } else if (c.word("TABLES")) {
        throw new Refuse("0A000", "FOR TABLES IN SCHEMA is not supported by this server")
      } else {
        c.expectWord("TABLE")
        tables = tableList(c)
      }
    }
    const publish = c.word("WITH") ? withOptions(c) : ALL_OPS
    c.end()
    return { _tag: "Create", name, tables, publish }
  }
  if (c.word("DROP")) {
    c.expectWord("PUBLICATION")
    let ifExists = false
    if (c.word("IF")) {
      c.expectWord("EXISTS")
      ifExists = true
    }
    const names = [c.name()]
    while (c.punct(",")) names.push(c.name())
    if (!c.word("CASCADE")) c.word("RESTRICT")
    c.end()
    return { _tag: "Drop", names, ifExists }
  }
  c.expectWord("ALTER")
  c.expectWord("PUBLICATION")
  const name = c.name()
  if (c.word("SET") && c.punct("(")) {
    c.i--
    const publish = withOptions(c)
    c.end()
    return { _tag: "AlterPublish", name, publish }
  }
  const t = c.tokens[c.i - 1]
  const action = t?.kind === "word" && t.text.toUpperCase() === "SET" ? "set" : c.word("ADD") ? "add" : c.word("DROP") ? "drop" : undefined
  if (action === undefined) throw syntax(c.peek())
  if (c.word("TABLES")) throw new Refuse("0A000", "TABLES IN SCHEMA is not supported by this server")
  c.expectWord("TABLE")
  const tables = tableList(c)
  c.end()
  return { _tag: "AlterTables", name, action, tables }
}

const tableList = (c: Cursor): ReadonlyArray<string> => {
  const tables = [c.table()]
  while (c.punct(",")) {
    c.word("TABLE")
    tables.push(c.table())
  }
  return tables
}

/** `WITH (publish = 'insert, update', ...)`: the operations; other PostgreSQL options are accepted and ignored. */
const withOptions = (c: Cursor): ReadonlyArray<PublishedOp> => {
  if (!c.punct("(")) throw syntax(c.peek())
  let publish: ReadonlyArray<PublishedOp> = ALL_OPS
  do {
    const option = c.name()
    c.punct("=")
    const t = c.peek()
    if (t === undefined || t.kind === "punct") throw syntax(t)
    c.i++
    if (option === "publish") {
      const ops = t.text.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")
      for (const op of ops) {
        if (!(ALL_OPS as ReadonlyArray<string>).includes(op)) throw new Refuse("22023", `unrecognized value for publication option "publish": "${op}"`)
      }
      publish = ops as ReadonlyArray<PublishedOp>
    } else if (option !== "publish_via_partition_root") {
      throw new Refuse("42601", `unrecognized publication parameter: "${option}"`)
    }
  } while (c.punct(","))
  if (!c.punct(")")) throw syntax(c.peek())
  return publish
}
