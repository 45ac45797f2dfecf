import { optionsError } from "./CopyErrors.js"
import { type CopyColumnSelection, type CopyDirection, type CopyOptions, resolveCopyOptions } from "./CopyOptions.js"
import { type SqlToken, tokenizeSql } from "./sqlTokens.js"

/** A COPY statement whose data flows over the connection (`FROM STDIN` / `TO STDOUT`). */
export interface CopyStatement {
  readonly direction: CopyDirection
  /** Where the data is, seen from the server: `stdin` for COPY FROM, `stdout` for COPY TO. */
  readonly source: "stdin" | "stdout"
  /** The table (unquoted names lowercased, as PostgreSQL folds them); absent for `COPY (query) TO`. */
  readonly table?: string
  readonly schema?: string
  /** The column list, when given. */
  readonly columns?: ReadonlyArray<string>
  /** The query of `COPY (query) TO STDOUT`, as written. */
  readonly query?: string
  /** The condition of `COPY ... FROM STDIN WHERE condition`, as written. */
  readonly where?: string
  /** The options as written (format always set), already checked with `resolveCopyOptions` for this direction. */
  readonly options: CopyOptions
}

const SYNTAX = "42601"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** An option's argument in the parenthesized syntax. */
type OptionArg =
  | { readonly kind: "none" }
  | { readonly kind: "value"; readonly value: string; readonly token: SqlToken }
  | { readonly kind: "star" }
  | { readonly kind: "list"; readonly items: ReadonlyArray<string> }

class Parser {
  i = 0
  constructor(
    readonly sql: string,
    readonly tokens: ReadonlyArray<SqlToken>
  ) {}

  peek(offset = 0): SqlToken | undefined {
    return this.tokens[this.i + offset]
  }

  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t !== undefined && t.kind === "word" && t.value === word
  }

  isPunct(p: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t !== undefined && t.kind === "punct" && t.value === p
  }

  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false
    this.i++
    return true
  }

  acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false
    this.i++
    return true
  }

  syntaxError(): never {
    const t = this.peek()
    throw optionsError(
      t === undefined ? "syntax error at end of input" : `syntax error at or near "${this.sql.slice(t.start, t.end)}"`,
      SYNTAX
    )
  }

  expectWord(word: string): void {
    if (!this.acceptWord(word)) this.syntaxError()
  }

  expectPunct(p: string): void {
    if (!this.acceptPunct(p)) this.syntaxError()
  }

  /** An identifier: an unquoted word or a quoted identifier. */
  name(): string {
    const t = this.peek()
    if (t === undefined || (t.kind !== "word" && t.kind !== "ident")) this.syntaxError()
    this.i++
    return t!.value
  }

  string(): string {
    const t = this.peek()
    if (t === undefined || t.kind !== "string") this.syntaxError()
    this.i++
    return t!.value
  }

  /** `name [, name ...]`, without parentheses. */
  nameList(): Array<string> {
    const names = [this.name()]
    while (this.acceptPunct(",")) names.push(this.name())
    return names
  }

  /** Index of the token closing the parenthesis opened just before `this.i`. */
  matchingParen(): number {
    let depth = 1
    for (let k = this.i; k < this.tokens.length; k++) {
      const t = this.tokens[k]!
      if (t.kind !== "punct") continue
      if (t.value === "(") depth++
      else if (t.value === ")" && --depth === 0) return k
    }
    this.i = this.tokens.length
    return this.syntaxError()
  }

  atEnd(): boolean {
    return this.i >= this.tokens.length || (this.isPunct(";") && this.i === this.tokens.length - 1)
  }
}

/** Records one option, refusing it twice as PostgreSQL does. */
const setOption = <K extends keyof CopyOptions>(options: Mutable<Partial<CopyOptions>>, key: K, value: CopyOptions[K]): void => {
  if (options[key] !== undefined) throw optionsError("conflicting or redundant options", SYNTAX)
  options[key] = value
}

const stringArg = (name: string, arg: OptionArg): string => {
  if (arg.kind === "value") return arg.value
  if (arg.kind === "star") return "*"
  throw optionsError(`${name} requires a parameter`, SYNTAX)
}

const booleanWord = (v: string): boolean | undefined => {
  const s = v.toLowerCase()
  return s === "true" || s === "on" ? true : s === "false" || s === "off" ? false : undefined
}

const booleanArg = (name: string, arg: OptionArg): boolean => {
  if (arg.kind === "none") return true
  if (arg.kind === "value") {
    if (arg.token.kind === "number") {
      if (arg.value === "0" || arg.value === "1") return arg.value === "1"
    } else {
      const b = booleanWord(arg.value)
      if (b !== undefined) return b
    }
  }
  throw optionsError(`${name} requires a Boolean value`, SYNTAX)
}

const headerArg = (arg: OptionArg): boolean | "match" => {
  if (arg.kind === "none") return true
  if (arg.kind === "value") {
    if (arg.token.kind === "number") {
      if (arg.value === "0" || arg.value === "1") return arg.value === "1"
    } else {
      const b = booleanWord(arg.value)
      if (b !== undefined) return b
      if (arg.value.toLowerCase() === "match") return "match"
    }
  }
  throw optionsError(`header requires a Boolean value or "match"`, SYNTAX)
}

const columnsArg = (name: string, arg: OptionArg, starAllowed: boolean): CopyColumnSelection => {
  if (arg.kind === "list") return arg.items
  if (arg.kind === "star" && starAllowed) return "*"
  throw optionsError(`argument to option "${name}" must be a list of column names`, "22023")
}

/** `( name [arg] [, ...] )`: the option list of `WITH (...)`. */
const parseOptionList = (p: Parser, options: Mutable<Partial<CopyOptions>>): void => {
  do {
    const name = p.name().toLowerCase()
    let arg: OptionArg = { kind: "none" }
    const t = p.peek()
    if (t !== undefined && (t.kind === "word" || t.kind === "string" || t.kind === "number")) {
      p.i++
      arg = { kind: "value", value: t.value, token: t }
    } else if (t !== undefined && t.kind === "punct" && (t.value === "+" || t.value === "-") && p.peek(1)?.kind === "number") {
      const num = p.peek(1)!
      p.i += 2
      arg = { kind: "value", value: (t.value === "-" ? "-" : "") + num.value, token: num }
    } else if (p.acceptPunct("*")) {
      arg = { kind: "star" }
    } else if (p.acceptPunct("(")) {
      const items = p.nameList()
      p.expectPunct(")")
      arg = { kind: "list", items }
    }
    switch (name) {
      case "format":
        setOption(options, "format", stringArg(name, arg) as CopyOptions["format"])
        break
      case "freeze":
        setOption(options, "freeze", booleanArg(name, arg))
        break
      case "delimiter":
        setOption(options, "delimiter", stringArg(name, arg))
        break
      case "null":
        setOption(options, "null", stringArg(name, arg))
        break
      case "header":
        setOption(options, "header", headerArg(arg))
        break
      case "quote":
        setOption(options, "quote", stringArg(name, arg))
        break
      case "escape":
        setOption(options, "escape", stringArg(name, arg))
        break
      case "force_quote":
        setOption(options, "forceQuote", columnsArg(name, arg, true))
        break
      case "force_not_null":
        setOption(options, "forceNotNull", columnsArg(name, arg, true))
        break
      case "force_null":
        setOption(options, "forceNull", columnsArg(name, arg, true))
        break
      case "encoding":
        setOption(options, "encoding", stringArg(name, arg))
        break
      default:
        throw optionsError(`option "${name}" not recognized`, SYNTAX)
    }
  } while (p.acceptPunct(","))
  p.expectPunct(")")
}

/** The pre-9.0 option syntax: `BINARY`, `CSV`, `HEADER`, `DELIMITER [AS] 'x'`, `FORCE QUOTE a, b`... */
const parseLegacyOptions = (p: Parser, options: Mutable<Partial<CopyOptions>>): void => {
  const optionalAs = () => p.acceptWord("as")
  for (;;) {
    if (p.acceptWord("binary")) setOption(options, "format", "binary")
    else if (p.acceptWord("csv")) setOption(options, "format", "csv")
    else if (p.acceptWord("freeze")) setOption(options, "freeze", true)
    else if (p.acceptWord("header")) setOption(options, "header", true)
    else if (p.acceptWord("delimiter")) {
      optionalAs()
      setOption(options, "delimiter", p.string())
    } else if (p.acceptWord("null")) {
      optionalAs()
      setOption(options, "null", p.string())
    } else if (p.acceptWord("quote")) {
      optionalAs()
      setOption(options, "quote", p.string())
    } else if (p.acceptWord("escape")) {
      optionalAs()
      setOption(options, "escape", p.string())
    } else if (p.acceptWord("encoding")) {
      setOption(options, "encoding", p.string())
    } else if (p.acceptWord("force")) {
      if (p.acceptWord("quote")) {
        setOption(options, "forceQuote", p.acceptPunct("*") ? "*" : p.nameList())
      } else if (p.acceptWord("not")) {
        p.expectWord("null")
        setOption(options, "forceNotNull", p.nameList())
      } else {
        p.expectWord("null")
        setOption(options, "forceNull", p.nameList())
      }
    } else return
  }
}

/**
 * Parses `COPY table [(columns)] FROM STDIN [WITH] [options] [WHERE ...]`,
 * `COPY table [(columns)] TO STDOUT ...` and `COPY (query) TO STDOUT ...`, with
 * options in the parenthesized syntax (`WITH (FORMAT csv, HEADER true,
 * DELIMITER ';')`) or the old one (`CSV HEADER`, `DELIMITER AS ','`, `NULL AS
 * ''`, `BINARY`, `COPY BINARY t ...`, `USING DELIMITERS ','`).
 *
 * Returns undefined for any other statement, and for COPY to or from a file or
 * a PROGRAM (not data for the client). Throws `CopyOptionsError` with
 * PostgreSQL's message and SQLSTATE for a malformed COPY statement or options
 * PostgreSQL would refuse (checked with `resolveCopyOptions` for the direction).
 */
export const parseCopyStatement = (sql: string): CopyStatement | undefined => {
  const first = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*copy\b/i.exec(sql)
  if (first === null) return undefined
  const p = new Parser(sql, tokenizeSql(sql))
  if (!p.acceptWord("copy")) return undefined
  const options: Mutable<Partial<CopyOptions>> = {}
  const statement: Mutable<Partial<CopyStatement>> = {}

  if (p.acceptPunct("(")) {
    const open = p.tokens[p.i - 1]!
    const close = p.matchingParen()
    statement.query = sql.slice(open.end, p.tokens[close]!.start).trim()
    if (statement.query === "") p.syntaxError()
    p.i = close + 1
    p.expectWord("to")
    statement.direction = "to"
  } else {
    if (p.isWord("binary") && p.peek(1) !== undefined && (p.peek(1)!.kind === "word" || p.peek(1)!.kind === "ident")) {
      p.i++
      setOption(options, "format", "binary")
    }
    const parts = [p.name()]
    while (p.acceptPunct(".")) parts.push(p.name())
    if (parts.length > 3) p.syntaxError()
    statement.table = parts[parts.length - 1]!
    if (parts.length > 1) statement.schema = parts[parts.length - 2]!
    if (p.acceptPunct("(")) {
      statement.columns = p.nameList()
      p.expectPunct(")")
    }
    if (p.acceptWord("from")) statement.direction = "from"
    else if (p.acceptWord("to")) statement.direction = "to"
    else p.syntaxError()
  }
  const direction = statement.direction!
  if (p.isWord("program")) return undefined
  if (p.peek()?.kind === "string") return undefined
  // PostgreSQL takes STDIN and STDOUT alike as "the client" in either direction.
  if (!p.acceptWord("stdin") && !p.acceptWord("stdout")) p.syntaxError()
  statement.source = direction === "from" ? "stdin" : "stdout"

  if (p.isWord("using") || p.isWord("delimiters")) {
    p.acceptWord("using")
    p.expectWord("delimiters")
    setOption(options, "delimiter", p.string())
  }
  p.acceptWord("with")
  if (p.acceptPunct("(")) parseOptionList(p, options)
  else parseLegacyOptions(p, options)

  if (p.acceptWord("where")) {
    if (direction === "to") throw optionsError("WHERE clause not allowed with COPY TO", SYNTAX)
    const from = p.peek()
    if (from === undefined || (from.kind === "punct" && from.value === ";")) p.syntaxError()
    let last = p.tokens.length - 1
    if (p.tokens[last]!.kind === "punct" && p.tokens[last]!.value === ";") last--
    statement.where = sql.slice(from!.start, p.tokens[last]!.end)
    p.i = last + 1
  }
  if (!p.atEnd()) p.syntaxError()

  const resolvedOptions: CopyOptions = { ...options, format: options.format ?? "text" }
  resolveCopyOptions(resolvedOptions, direction)
  if (statement.columns !== undefined) {
    const listed = statement.columns
    for (const [option, selection] of [
      ["FORCE_QUOTE", options.forceQuote],
      ["FORCE_NOT_NULL", options.forceNotNull],
      ["FORCE_NULL", options.forceNull]
    ] as const) {
      if (selection === undefined || selection === "*") continue
      const missing = selection.find((name) => !listed.includes(name))
      if (missing !== undefined) throw optionsError(`${option} column "${missing}" not referenced by COPY`, "42P10")
    }
  }
  statement.options = resolvedOptions
  return statement as CopyStatement
}
