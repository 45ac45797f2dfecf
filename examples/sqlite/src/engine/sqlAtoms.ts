/**
 * A finer tokenizer than sqlText's `lex`, for reading types off a statement:
 * numbers, strings, blobs, `?n` parameters, identifiers (quoted ones
 * unquoted), operators and punctuation, each with its parenthesis depth.
 */

export type AtomKind = "word" | "ident" | "number" | "string" | "blob" | "param" | "op" | "punct"

export interface Atom {
  readonly kind: AtomKind
  /** Words upper-cased; identifiers as written (quotes removed); operators and punctuation as written. */
  readonly text: string
  readonly depth: number
  /** For `param`: n of `?n`. For `number`: whether it is an integer. */
  readonly n?: number
  readonly integer?: boolean
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9"
const isWordStart = (c: string | undefined) => c !== undefined && (/[A-Za-z_]/.test(c) || c.charCodeAt(0) >= 128)
const isWordPart = (c: string | undefined) => c !== undefined && (isWordStart(c) || isDigit(c) || c === "$")
const OPERATORS = ["||", "<=", ">=", "<>", "!=", "==", "<<", ">>", "->>", "->", "::"]

const closeQuote = (sql: string, i: number, quote: string, backslash: boolean): number => {
  let j = i + 1
  while (j < sql.length) {
    if (backslash && sql[j] === "\\") j += 2
    else if (sql[j] === quote) {
      if (sql[j + 1] === quote) j += 2
      else return j + 1
    } else j++
  }
  return sql.length
}

export const atoms = (sql: string): ReadonlyArray<Atom> => {
  const out: Array<Atom> = []
  let depth = 0
  let i = 0
  const push = (kind: AtomKind, text: string, extra: Partial<Atom> = {}) => out.push({ kind, text, depth, ...extra })
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i)
      i = nl < 0 ? sql.length : nl + 1
    } else if (c === "/" && sql[i + 1] === "*") {
      let d = 0
      while (i < sql.length) {
        if (sql.startsWith("/*", i)) (d++, (i += 2))
        else if (sql.startsWith("*/", i)) {
          d--
          i += 2
          if (d === 0) break
        } else i++
      }
    } else if (c === "'") {
      const end = closeQuote(sql, i, "'", false)
      push("string", sql.slice(i + 1, end - 1))
      i = end
    } else if ((c === "E" || c === "e") && sql[i + 1] === "'") {
      const end = closeQuote(sql, i + 1, "'", true)
      push("string", sql.slice(i + 2, end - 1))
      i = end
    } else if ((c === "X" || c === "x") && sql[i + 1] === "'") {
      const end = closeQuote(sql, i + 1, "'", false)
      push("blob", sql.slice(i + 2, end - 1))
      i = end
    } else if (c === '"' || c === "`") {
      const end = closeQuote(sql, i, c, false)
      push("ident", sql.slice(i + 1, end - 1).split(c + c).join(c))
      i = end
    } else if (c === "[") {
      const end = sql.indexOf("]", i)
      const stop = end < 0 ? sql.length : end + 1
      push("ident", sql.slice(i + 1, stop - 1))
      i = stop
    } else if (c === "$" && (sql[i + 1] === "$" || isWordStart(sql[i + 1]))) {
      // $tag$ ... $tag$ is a string in PostgreSQL
      let j = i + 1
      while (j < sql.length && sql[j] !== "$" && isWordPart(sql[j])) j++
      if (sql[j] === "$") {
        const tag = sql.slice(i, j + 1)
        const close = sql.indexOf(tag, j + 1)
        push("string", sql.slice(j + 1, close < 0 ? sql.length : close))
        i = close < 0 ? sql.length : close + tag.length
      } else {
        push("op", "$")
        i++
      }
    } else if ((c === "?" || c === "$") && isDigit(sql[i + 1])) {
      let j = i + 1
      while (isDigit(sql[j])) j++
      push("param", sql.slice(i, j), { n: Number(sql.slice(i + 1, j)) })
      i = j
    } else if (isDigit(c) || (c === "." && isDigit(sql[i + 1]))) {
      const m = /^(?:0x[0-9a-fA-F]+|\d*\.?\d*(?:[eE][+-]?\d+)?)/.exec(sql.slice(i))!
      const text = m[0]
      push("number", text, { integer: /^(0x[0-9a-f]+|\d+)$/i.test(text) })
      i += text.length
    } else if (isWordStart(c)) {
      let j = i + 1
      while (isWordPart(sql[j])) j++
      push("word", sql.slice(i, j).toUpperCase())
      i = j
    } else if (c === "(") {
      push("punct", c)
      depth++
      i++
    } else if (c === ")") {
      depth = Math.max(0, depth - 1)
      push("punct", c)
      i++
    } else if (c === "," || c === ";" || c === ".") {
      push("punct", c)
      i++
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i)) ?? c
      push("op", op)
      i += op.length
    }
  }
  return out
}

/** An identifier's name as SQLite compares it (case-insensitive): quoted identifiers keep their text, words are lower-cased. */
export const nameOf = (a: Atom): string => (a.kind === "ident" ? a.text : a.text.toLowerCase())

export const isName = (a: Atom | undefined): a is Atom => a !== undefined && (a.kind === "word" || a.kind === "ident")
