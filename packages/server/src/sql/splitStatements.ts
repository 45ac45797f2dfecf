/**
 * Splits a query string into statements on `;` outside string literals
 * ('...', E'...' with backslash escapes), quoted identifiers ("..."),
 * dollar-quoted strings ($$...$$, $tag$...$tag$), line comments (--) and
 * nested block comments. Statements are trimmed; a statement with nothing
 * but whitespace and comments is dropped (PostgreSQL answers such a query
 * string with EmptyQueryResponse). The text is never rewritten otherwise.
 */
export const splitStatements = (sql: string): Array<string> => {
  const out: Array<string> = []
  const n = sql.length
  let start = 0
  let hasContent = false
  let i = 0
  const flush = (end: number) => {
    if (hasContent) out.push(sql.slice(start, end).trim())
    hasContent = false
  }
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === SEMI) {
      flush(i)
      start = ++i
      continue
    }
    if (c === DASH && sql.charCodeAt(i + 1) === DASH) {
      const nl = sql.indexOf("\n", i + 2)
      i = nl < 0 ? n : nl + 1
      continue
    }
    if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      i = skipBlockComment(sql, i + 2)
      continue
    }
    if (c !== SPACE && c !== TAB && c !== NL && c !== CR && c !== FF) hasContent = true
    if (c === QUOTE) {
      i = skipQuoted(sql, i + 1, QUOTE, isEscapeStringStart(sql, i))
    } else if (c === DQUOTE) {
      i = skipQuoted(sql, i + 1, DQUOTE, false)
    } else if (c === DOLLAR && !isIdentChar(sql.charCodeAt(i - 1))) {
      i = skipDollarQuoted(sql, i)
    } else {
      i++
    }
  }
  flush(n)
  return out
}

const SEMI = 59
const DASH = 45
const SLASH = 47
const STAR = 42
const QUOTE = 39
const DQUOTE = 34
const DOLLAR = 36
const BACKSLASH = 92
const SPACE = 32
const TAB = 9
const NL = 10
const CR = 13
const FF = 12

const isIdentStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128
const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === DOLLAR

// E'...' (or e'...') starts an escape string where a backslash escapes the next character.
const isEscapeStringStart = (sql: string, quoteAt: number): boolean => {
  const prev = sql.charCodeAt(quoteAt - 1)
  return (prev === 69 || prev === 101) && !isIdentChar(sql.charCodeAt(quoteAt - 2))
}

// Returns the index after the closing quote (a doubled quote is an escaped quote), or the end.
const skipQuoted = (sql: string, i: number, quote: number, backslashEscapes: boolean): number => {
  const n = sql.length
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (backslashEscapes && c === BACKSLASH) {
      i += 2
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2
      else return i + 1
    } else {
      i++
    }
  }
  return n
}

const skipBlockComment = (sql: string, i: number): number => {
  const n = sql.length
  let depth = 1
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      depth++
      i += 2
    } else if (c === STAR && sql.charCodeAt(i + 1) === SLASH) {
      if (--depth === 0) return i + 2
      i += 2
    } else {
      i++
    }
  }
  return n
}

// At a `$`: a $tag$ opener skips to its matching closer; anything else ($1, a lone $) is one character.
const skipDollarQuoted = (sql: string, at: number): number => {
  let j = at + 1
  if (sql.charCodeAt(j) !== DOLLAR) {
    if (!isIdentStart(sql.charCodeAt(j))) return at + 1
    while (j < sql.length && isIdentChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== DOLLAR) j++
    if (sql.charCodeAt(j) !== DOLLAR) return at + 1
  }
  const tag = sql.slice(at, j + 1)
  const close = sql.indexOf(tag, j + 1)
  return close < 0 ? sql.length : close + tag.length
}
