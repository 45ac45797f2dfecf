/**
 * The shape of a SELECT, read from its text: the select-list items in order
 * and the tables in its FROM clause.
 *
 * Why: GlueSQL's JavaScript binding returns each row as an object keyed by
 * column label in sorted order (and no column types), so the statement
 * itself is the only place left that says in which order the columns go
 * and which of them are plain table columns (whose declared type we can ask
 * GlueSQL for). This is a small scanner, not a SQL parser: anything it does
 * not recognise degrades to "label unknown", never to a wrong answer
 * silently accepted (see `resultColumns`).
 */

export type SelectItem =
  /** `*` or `t.*`: every column of the FROM tables (or of table/alias `table`). */
  | { readonly _tag: "Star"; readonly table: string | undefined }
  /** A bare or qualified column, labelled with its name unless aliased. */
  | { readonly _tag: "Column"; readonly table: string | undefined; readonly column: string; readonly label: string }
  /** Any other expression: labelled with its alias, or with its own text (GlueSQL prints it back). */
  | { readonly _tag: "Expression"; readonly label: string }

export interface TableRef {
  readonly name: string
  readonly alias: string | undefined
}

export interface SelectShape {
  readonly items: ReadonlyArray<SelectItem>
  readonly from: ReadonlyArray<TableRef>
}

const CLAUSE_END = new Set(["FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "WINDOW"])
const FROM_END = new Set(["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "WINDOW"])
const NOT_AN_ALIAS = new Set([
  "END", "NULL", "TRUE", "FALSE", "AND", "OR", "NOT", "ASC", "DESC", "DISTINCT", "ALL", "IS", "IN", "LIKE", "ILIKE", "BETWEEN",
  // INTERVAL '1' DAY: a unit after a literal is not an alias.
  "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"
])
const JOIN_WORDS = new Set(["JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "NATURAL", "ON", "USING"])

interface Token {
  readonly text: string
  readonly start: number
  readonly end: number
  readonly depth: number
}

/** Splits SQL into depth-annotated tokens: words, quoted strings/identifiers, single punctuation. */
const tokenize = (sql: string): ReadonlyArray<Token> | undefined => {
  const tokens: Array<Token> = []
  let depth = 0
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2)
      if (close < 0) return undefined
      i = close + 2
    } else if (c === "'" || c === '"' || c === "`") {
      let j = i + 1
      for (;;) {
        if (j >= sql.length) return undefined
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2
          else break
        } else j++
      }
      tokens.push({ text: sql.slice(i, j + 1), start: i, end: j + 1, depth })
      i = j + 1
    } else if (/[A-Za-z0-9_$.]/.test(c)) {
      let j = i
      while (j < sql.length && /[A-Za-z0-9_$.]/.test(sql[j]!)) j++
      tokens.push({ text: sql.slice(i, j), start: i, end: j, depth })
      i = j
    } else {
      if (c === ")" && --depth < 0) return undefined
      // Parentheses carry the depth outside them, like the words around them.
      tokens.push({ text: c, start: i, end: i + 1, depth })
      if (c === "(") depth++
      i++
    }
  }
  return depth === 0 ? tokens : undefined
}

const upper = (t: Token | undefined) => t?.text.toUpperCase()
const isWord = (t: Token | undefined) => t !== undefined && /^[A-Za-z_][A-Za-z0-9_$]*$/.test(t.text)
const unquoteIdent = (s: string) => (s.startsWith('"') || s.startsWith("`") ? s.slice(1, -1).replace(/""|``/g, (q) => q[0]!) : s)
const isIdent = (t: Token | undefined) => t !== undefined && (isWord(t) || t.text.startsWith('"') || t.text.startsWith("`"))

const QUALIFIED_COLUMN = /^(?:([A-Za-z_][A-Za-z0-9_$]*)\.)?([A-Za-z_][A-Za-z0-9_$]*)$/

const item = (sql: string, tokens: ReadonlyArray<Token>): SelectItem => {
  let body = tokens
  let alias: string | undefined
  const last = tokens[tokens.length - 1]
  const beforeLast = tokens[tokens.length - 2]
  if (tokens.length >= 2 && isIdent(last) && !NOT_AN_ALIAS.has(upper(last)!)) {
    if (upper(beforeLast) === "AS") {
      alias = unquoteIdent(last!.text)
      body = tokens.slice(0, -2)
    } else if (beforeLast !== undefined && (isIdent(beforeLast) || beforeLast.text === ")" || beforeLast.text.startsWith("'") || /^[0-9]/.test(beforeLast.text))) {
      // `expr alias`: an identifier right after a complete operand.
      alias = unquoteIdent(last!.text)
      body = tokens.slice(0, -1)
    }
  }
  const text = sql.slice(body[0]!.start, body[body.length - 1]!.end)
  if (body.length === 1 && text === "*") return { _tag: "Star", table: undefined }
  const star = /^([A-Za-z_][A-Za-z0-9_$]*)\.\*$/.exec(text)
  if (star !== null) return { _tag: "Star", table: star[1] }
  if (body.length === 1 && body[0]!.text.startsWith('"')) {
    const column = unquoteIdent(body[0]!.text)
    return { _tag: "Column", table: undefined, column, label: alias ?? column }
  }
  const m = body.length === 1 ? QUALIFIED_COLUMN.exec(text) : null
  if (m !== null && !NOT_AN_ALIAS.has(m[2]!.toUpperCase())) {
    return { _tag: "Column", table: m[1], column: m[2]!, label: alias ?? m[2]! }
  }
  return { _tag: "Expression", label: alias ?? text }
}

const tableRefs = (tokens: ReadonlyArray<Token>): ReadonlyArray<TableRef> => {
  const refs: Array<TableRef> = []
  let i = 0
  while (i < tokens.length) {
    const t = tokens[i]!
    const startsRef = i === 0 || t.text === "," || upper(t) === "JOIN"
    if (!startsRef) {
      i++
      continue
    }
    const nameAt = i === 0 ? 0 : i + 1
    const name = tokens[nameAt]
    if (!isIdent(name)) {
      i = nameAt + 1
      continue
    }
    let next = nameAt + 1
    let alias: string | undefined
    if (upper(tokens[next]) === "AS") next++
    const candidate = tokens[next]
    if (isIdent(candidate) && !JOIN_WORDS.has(upper(candidate)!)) {
      alias = unquoteIdent(candidate!.text)
      next++
    }
    refs.push({ name: unquoteIdent(name!.text), alias })
    i = next
  }
  return refs
}

/** The shape of `sql` if it is a plain `SELECT ... [FROM ...]`, else undefined. */
export const selectShape = (sql: string): SelectShape | undefined => {
  const tokens = tokenize(sql)
  if (tokens === undefined || upper(tokens[0]) !== "SELECT") return undefined
  let i = 1
  if (upper(tokens[i]) === "DISTINCT" || upper(tokens[i]) === "ALL") i++
  const items: Array<SelectItem> = []
  let current: Array<Token> = []
  for (; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.depth === 0 && CLAUSE_END.has(upper(t)!)) break
    if (t.depth === 0 && t.text === ";") break
    if (t.depth === 0 && t.text === ",") {
      if (current.length === 0) return undefined
      items.push(item(sql, current))
      current = []
    } else current.push(t)
  }
  if (current.length === 0) return undefined
  items.push(item(sql, current))
  const from: Array<Token> = []
  if (upper(tokens[i]) === "FROM") {
    for (i++; i < tokens.length; i++) {
      const t = tokens[i]!
      if (t.depth === 0 && (FROM_END.has(upper(t)!) || t.text === ";")) break
      if (t.depth === 0) from.push(t)
    }
  }
  return { items, from: tableRefs(from) }
}

/** How GlueSQL labels compare: its printed expression may differ from the input in spacing and case. */
export const normalizeLabel = (label: string): string => label.replace(/\s+/g, "").toLowerCase()
