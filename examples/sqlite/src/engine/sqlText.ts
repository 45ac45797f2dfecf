/**
 * Lexical helpers over SQL text: enough to split a query string into
 * statements and read a statement's leading keywords without parsing SQL.
 * Quotes ('…', E'…', "…", `…`), comments (-- and nested /* *\/) and
 * PostgreSQL dollar quoting ($$…$$, $tag$…$tag$) are skipped as opaque.
 */

export interface Token {
  readonly kind: "word" | "semicolon" | "other"
  /** Upper-cased text for words, "" otherwise. */
  readonly upper: string
  readonly start: number
  readonly end: number
  /** Parenthesis depth at the token. */
  readonly depth: number
}

const isWordStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128
const isWordPart = (c: number): boolean => isWordStart(c) || (c >= 48 && c <= 57) || c === 36

/** Index just past the quoted run starting at `i` (the opening quote), or `sql.length` if unterminated. */
const skipQuoted = (sql: string, i: number, quote: number, backslashEscapes: boolean): number => {
  let j = i + 1
  while (j < sql.length) {
    const c = sql.charCodeAt(j)
    if (backslashEscapes && c === 92) {
      j += 2
      continue
    }
    if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) {
        j += 2
        continue
      }
      return j + 1
    }
    j++
  }
  return sql.length
}

const skipBlockComment = (sql: string, i: number): number => {
  let depth = 0
  let j = i
  while (j < sql.length) {
    if (sql.startsWith("/*", j)) {
      depth++
      j += 2
    } else if (sql.startsWith("*/", j)) {
      depth--
      j += 2
      if (depth === 0) return j
    } else j++
  }
  return sql.length
}

/** `$tag$` at `i`? Returns the delimiter, or undefined (e.g. `$1` is a parameter). */
const dollarTag = (sql: string, i: number): string | undefined => {
  let j = i + 1
  if (j < sql.length && sql.charCodeAt(j) !== 36) {
    if (!isWordStart(sql.charCodeAt(j))) return undefined
    while (j < sql.length && isWordPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++
  }
  return sql.charCodeAt(j) === 36 ? sql.slice(i, j + 1) : undefined
}

/** The significant tokens of `sql`: words, `;`, and everything else that is not whitespace or a comment. */
export const lex = (sql: string): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  const push = (kind: Token["kind"], start: number, end: number, upper = "") =>
    tokens.push({ kind, upper, start, end, depth })
  let depth = 0
  let i = 0
  while (i < sql.length) {
    const c = sql.charCodeAt(i)
    const start = i
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++
    } else if (c === 39 || c === 34 || c === 96) {
      i = skipQuoted(sql, i, c, false)
      push("other", start, i)
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const nl = sql.indexOf("\n", i)
      i = nl < 0 ? sql.length : nl + 1
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      i = skipBlockComment(sql, i)
    } else if (c === 36 && dollarTag(sql, i) !== undefined) {
      const tag = dollarTag(sql, i)!
      const close = sql.indexOf(tag, i + tag.length)
      i = close < 0 ? sql.length : close + tag.length
      push("other", start, i)
    } else if (isWordStart(c)) {
      let j = i + 1
      while (j < sql.length && isWordPart(sql.charCodeAt(j))) j++
      if (j === i + 1 && (c === 69 || c === 101) && sql.charCodeAt(j) === 39) {
        // E'…' is a string with backslash escapes, not the word E.
        i = skipQuoted(sql, j, 39, true)
        push("other", start, i)
      } else {
        i = j
        push("word", start, j, sql.slice(start, j).toUpperCase())
      }
    } else {
      i++
      if (c === 59) push("semicolon", start, i)
      else {
        if (c === 41) depth = Math.max(0, depth - 1)
        push("other", start, i)
        if (c === 40) depth++
      }
    }
  }
  return tokens
}

const isCreateTrigger = (words: ReadonlyArray<string>): boolean =>
  words[0] === "CREATE" &&
  (words[1] === "TRIGGER" || ((words[1] === "TEMP" || words[1] === "TEMPORARY") && words[2] === "TRIGGER"))

/**
 * Splits a query string into statements on top-level `;`. Empty statements
 * (only whitespace or comments) are dropped. A SQLite `CREATE TRIGGER … BEGIN
 * …; …; END` keeps its inner semicolons.
 */
export const splitStatements = (sql: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let start = 0
  let significant = false
  let leading: Array<string> = []
  let blocks = 0
  const finish = (end: number) => {
    if (significant) out.push(sql.slice(start, end).trim())
    significant = false
    leading = []
    blocks = 0
  }
  for (const token of lex(sql)) {
    if (token.kind === "semicolon" && !(blocks > 0 && isCreateTrigger(leading))) {
      finish(token.start)
      start = token.end
      continue
    }
    significant = true
    if (token.kind === "word") {
      if (leading.length < 3) leading.push(token.upper)
      if (token.upper === "BEGIN" || token.upper === "CASE") blocks++
      else if (token.upper === "END") blocks = Math.max(0, blocks - 1)
    }
  }
  finish(sql.length)
  return out
}

/** The statement's words at parenthesis depth 0, upper-cased. */
export const topLevelWords = (sql: string): ReadonlyArray<string> =>
  lex(sql).filter((t) => t.kind === "word" && t.depth === 0).map((t) => t.upper)
