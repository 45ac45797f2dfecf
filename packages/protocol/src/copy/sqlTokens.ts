import { optionsError } from "./CopyErrors.js"

/**
 * A token of a SQL statement, as far as COPY needs them:
 * - `word`: an unquoted identifier or keyword, ASCII-lowercased as PostgreSQL folds it;
 * - `ident`: a double-quoted identifier, as written;
 * - `string`: a string constant ('...', E'...', $tag$...$tag$), unescaped;
 * - `number`: a numeric constant's text;
 * - `punct`: any other single character.
 * `start`/`end` locate it in the statement text.
 */
export interface SqlToken {
  readonly kind: "word" | "ident" | "string" | "number" | "punct"
  readonly value: string
  readonly start: number
  readonly end: number
}

const SYNTAX = "42601"

const isIdentStart = (c: string): boolean => /[A-Za-z_\u0080-\uffff]/.test(c)
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c)
const isDigit = (c: string): boolean => c >= "0" && c <= "9"

const unterminated = (what: string): never => {
  throw optionsError(`unterminated ${what}`, SYNTAX)
}

/** Backslash escapes of an E'...' string: \b \f \n \r \t, octal, \xHH, \uXXXX, \UXXXXXXXX, else the character itself. */
const readEscapeString = (sql: string, from: number): { value: string; end: number } => {
  let out = ""
  let i = from
  for (;;) {
    if (i >= sql.length) unterminated("quoted string")
    const c = sql[i]!
    if (c === "'") {
      if (sql[i + 1] === "'") {
        out += "'"
        i += 2
        continue
      }
      return { value: out, end: i + 1 }
    }
    if (c !== "\\") {
      out += c
      i++
      continue
    }
    const e = sql[i + 1]
    if (e === undefined) unterminated("quoted string")
    i += 2
    switch (e) {
      case "b":
        out += "\b"
        break
      case "f":
        out += "\f"
        break
      case "n":
        out += "\n"
        break
      case "r":
        out += "\r"
        break
      case "t":
        out += "\t"
        break
      case "x": {
        const m = /^[0-9A-Fa-f]{1,2}/.exec(sql.slice(i, i + 2))
        if (m === null) {
          out += "x"
        } else {
          out += String.fromCharCode(parseInt(m[0], 16))
          i += m[0].length
        }
        break
      }
      case "u":
      case "U": {
        const len = e === "u" ? 4 : 8
        const hex = sql.slice(i, i + len)
        if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) throw optionsError("invalid Unicode escape", SYNTAX)
        const cp = parseInt(hex, 16)
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw optionsError("invalid Unicode escape value", SYNTAX)
        out += String.fromCodePoint(cp)
        i += len
        break
      }
      default:
        if (e! >= "0" && e! <= "7") {
          const m = /^[0-7]{1,3}/.exec(sql.slice(i - 1, i + 2))!
          out += String.fromCharCode(parseInt(m[0], 8) & 0xff)
          i += m[0].length - 1
        } else {
          out += e
        }
    }
  }
}

/** Splits a SQL statement into tokens, skipping whitespace and comments. Throws `CopyOptionsError` (42601). */
export const tokenizeSql = (sql: string): Array<SqlToken> => {
  const tokens: Array<SqlToken> = []
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    const start = i
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i)
      i = nl < 0 ? n : nl + 1
    } else if (c === "/" && sql[i + 1] === "*") {
      let depth = 1
      i += 2
      while (depth > 0) {
        if (i >= n) unterminated("/* comment")
        if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--
          i += 2
        } else if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++
          i += 2
        } else i++
      }
    } else if ((c === "E" || c === "e") && sql[i + 1] === "'") {
      const s = readEscapeString(sql, i + 2)
      tokens.push({ kind: "string", value: s.value, start, end: s.end })
      i = s.end
    } else if (c === "'") {
      let out = ""
      i++
      for (;;) {
        const q = sql.indexOf("'", i)
        if (q < 0) unterminated("quoted string")
        out += sql.slice(i, q)
        if (sql[q + 1] === "'") {
          out += "'"
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
      tokens.push({ kind: "string", value: out, start, end: i })
    } else if (c === '"') {
      let out = ""
      i++
      for (;;) {
        const q = sql.indexOf('"', i)
        if (q < 0) unterminated("quoted identifier")
        out += sql.slice(i, q)
        if (sql[q + 1] === '"') {
          out += '"'
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
      if (out === "") throw optionsError("zero-length delimited identifier", SYNTAX)
      tokens.push({ kind: "ident", value: out, start, end: i })
    } else if (c === "$" && /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64))![0]
      const close = sql.indexOf(tag, i + tag.length)
      if (close < 0) unterminated("dollar-quoted string")
      tokens.push({ kind: "string", value: sql.slice(i + tag.length, close), start, end: close + tag.length })
      i = close + tag.length
    } else if (isIdentStart(c)) {
      i++
      while (i < n && isIdentPart(sql[i]!)) i++
      tokens.push({ kind: "word", value: sql.slice(start, i).replace(/[A-Z]+/g, (m) => m.toLowerCase()), start, end: i })
    } else if (isDigit(c) || (c === "." && isDigit(sql[i + 1] ?? ""))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!
      i += m[0].length
      tokens.push({ kind: "number", value: m[0], start, end: i })
    } else {
      i++
      tokens.push({ kind: "punct", value: c, start, end: i })
    }
  }
  return tokens
}
