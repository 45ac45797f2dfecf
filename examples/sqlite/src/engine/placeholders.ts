import { lex } from "./sqlText.js"

/** A statement with PostgreSQL's `$n` parameters rewritten for SQLite. */
export interface Placeholders {
  /** The text with each `$n` outside quotes and comments turned into SQLite's numbered `?k`. */
  readonly sql: string
  /** The highest n: PostgreSQL's parameter count. */
  readonly count: number
  /**
   * For each `?k` (k = 1, 2…), the n of the `$n` it stands for. The `?k` are
   * dense even when some `$n` is unused (`$1 … $3` → `?1 … ?2`): SQLite would
   * leave a gap as an anonymous slot that better-sqlite3 cannot bind by name.
   */
  readonly references: ReadonlyArray<number>
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57

/**
 * Rewrites `$1`…`$n` to `?1`…`?k`. The lexer skips quoted strings,
 * identifiers, dollar-quoted bodies and comments, so a `$1` inside them stays
 * text; a `$` inside a word (`a$1`) is part of the word.
 */
export const translatePlaceholders = (sql: string): Placeholders => {
  const found: Array<{ readonly start: number; readonly end: number; readonly n: number }> = []
  for (const token of lex(sql)) {
    if (token.kind !== "other" || sql.charCodeAt(token.start) !== 36 || !isDigit(sql.charCodeAt(token.start + 1))) continue
    let end = token.start + 1
    while (end < sql.length && isDigit(sql.charCodeAt(end))) end++
    found.push({ start: token.start, end, n: Number(sql.slice(token.start + 1, end)) })
  }
  if (found.length === 0) return { sql, count: 0, references: [] }
  const references = [...new Set(found.map((f) => f.n))].sort((a, b) => a - b)
  const slot = new Map(references.map((n, i) => [n, i + 1]))
  let out = ""
  let last = 0
  for (const f of found) {
    out += `${sql.slice(last, f.start)}?${slot.get(f.n)}`
    last = f.end
  }
  return { sql: out + sql.slice(last), count: references[references.length - 1]!, references }
}

/** The values for the `?k` of a translated statement, from the client's `$1…$n` values. */
export const bindValues = (references: ReadonlyArray<number>, values: ReadonlyArray<unknown>): ReadonlyArray<unknown> =>
  references.length === values.length && references.every((n, i) => n === i + 1) ? values : references.map((n) => values[n - 1])
