/**
 * Types for the extended protocol's Describe, read off the statement text and
 * SQLite's schema, without running anything: parameter types where SQLite can
 * tell (a parameter compared with, assigned to or inserted into a column with a
 * declared type, LIMIT/OFFSET, CAST), and result types of expression columns
 * (literals, parameters, casts, common functions, operators). What cannot be
 * told is text, as PostgreSQL's `unknown` resolves.
 */
import { type Atom, atoms, isName, nameOf } from "./sqlAtoms.js"
import { type LaneColumn, PgType, typeOfDeclared } from "./columnTypes.js"

/** Declared columns per table name (as SQLite reported them). */
export type Schemas = Readonly<Record<string, ReadonlyArray<LaneColumn>>>

const CLAUSE_END = new Set(["FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "RETURNING", "ON", "VALUES", "SET"])

/** Tables the statement names after FROM, JOIN, INTO, UPDATE (and comma-joined FROM lists). */
export const referencedTables = (sql: string): ReadonlyArray<string> => {
  const list = atoms(sql)
  const tables = new Set<string>()
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!
    if (a.kind !== "word" || !["FROM", "JOIN", "INTO", "UPDATE", "TABLE"].includes(a.text)) continue
    let j = i + 1
    for (;;) {
      if (list[j]?.kind === "word" && ["OR", "ONLY"].includes(list[j]!.text)) j += list[j]!.text === "OR" ? 2 : 1
      const name = list[j]
      if (!isName(name) || (name.kind === "word" && CLAUSE_END.has(name.text))) break
      // schema.table: the table is the last part
      let last = name
      while (list[j + 1]?.text === "." && isName(list[j + 2])) (j += 2), (last = list[j]!)
      tables.add(nameOf(last))
      // FROM a x, b y: skip an alias, continue after a comma at the same depth
      j++
      if (list[j]?.kind === "word" && list[j]!.text === "AS") j++
      if (isName(list[j]) && !(list[j]!.kind === "word" && (CLAUSE_END.has(list[j]!.text) || ["JOIN", "LEFT", "INNER", "CROSS", "NATURAL", "USING"].includes(list[j]!.text)))) j++
      if (a.text === "FROM" && list[j]?.text === "," && list[j]!.depth === name.depth) {
        j++
        continue
      }
      break
    }
  }
  return [...tables]
}

/** The declared PostgreSQL type of a column named `column` in the referenced tables (first match). */
const columnType = (schemas: Schemas, column: string): number | undefined => {
  const lower = column.toLowerCase()
  for (const columns of Object.values(schemas)) {
    for (const c of columns) if (c.name.toLowerCase() === lower) return typeOfDeclared(c.declared) ?? PgType.text
  }
  return undefined
}

const tableColumns = (schemas: Schemas, table: string): ReadonlyArray<LaneColumn> | undefined => {
  const lower = table.toLowerCase()
  for (const [name, columns] of Object.entries(schemas)) if (name.toLowerCase() === lower) return columns
  return undefined
}

const COMPARISON = new Set(["=", "==", "<>", "!=", "<", ">", "<=", ">="])

/** The column name right before index `end` (exclusive): `col` or `t.col`. */
const columnBefore = (list: ReadonlyArray<Atom>, end: number): string | undefined => {
  const a = list[end - 1]
  if (!isName(a) || (a.kind === "word" && RESERVED.has(a.text))) return undefined
  return nameOf(a)
}

const columnAfter = (list: ReadonlyArray<Atom>, start: number): string | undefined => {
  let j = start
  if (!isName(list[j]) || (list[j]!.kind === "word" && RESERVED.has(list[j]!.text))) return undefined
  while (list[j + 1]?.text === "." && isName(list[j + 2])) j += 2
  if (list[j + 1]?.text === "(") return undefined // a function call
  return nameOf(list[j]!)
}

const RESERVED = new Set(["SELECT", "WHERE", "AND", "OR", "NOT", "ON", "SET", "VALUES", "IN", "IS", "LIKE", "BETWEEN", "NULL", "CASE", "WHEN", "THEN", "ELSE", "END", "AS", "LIMIT", "OFFSET", "BY", "TRUE", "FALSE", "EXISTS", "DISTINCT", "ALL"])

/**
 * One type per parameter ($1..$count): the client's type where it gave one
 * (non-zero), else what the statement shows, else text.
 */
export const inferParameterTypes = (
  sql: string,
  count: number,
  clientTypes: ReadonlyArray<number>,
  schemas: Schemas
): ReadonlyArray<number> => {
  const n = Math.max(count, clientTypes.length)
  const types = Array.from({ length: n }, (_, i) => clientTypes[i] ?? 0)
  if (types.every((t) => t !== 0)) return types
  const list = atoms(sql)
  const guess = new Map<number, number>()
  const note = (param: number, oid: number | undefined) => {
    if (oid !== undefined && !guess.has(param)) guess.set(param, oid)
  }
  insertTargets(list, schemas, note)
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!
    if (p.kind !== "param") continue
    const before = list[k - 1]
    const after = list[k + 1]
    // col = $1, col < $1, SET col = $1
    if (before?.kind === "op" && COMPARISON.has(before.text)) {
      const col = columnBefore(list, k - 1)
      if (col !== undefined) note(p.n!, columnType(schemas, col))
    }
    // $1 = col
    if (after?.kind === "op" && COMPARISON.has(after.text)) {
      const col = columnAfter(list, k + 2)
      if (col !== undefined) note(p.n!, columnType(schemas, col))
    }
    // col LIKE $1
    if (before?.kind === "word" && (before.text === "LIKE" || before.text === "GLOB")) note(p.n!, PgType.text)
    // LIMIT $1 OFFSET $2
    if (before?.kind === "word" && (before.text === "LIMIT" || before.text === "OFFSET")) note(p.n!, PgType.int8)
    // col BETWEEN $1 AND $2
    if (before?.kind === "word" && before.text === "BETWEEN") {
      const col = columnBefore(list, k - 1)
      if (col !== undefined) {
        note(p.n!, columnType(schemas, col))
        if (list[k + 1]?.text === "AND" && list[k + 2]?.kind === "param") note(list[k + 2]!.n!, columnType(schemas, col))
      }
    }
    // CAST($1 AS type)
    if (before?.text === "(" && list[k - 2]?.text === "CAST" && after?.text === "AS") note(p.n!, castType(list, k + 2))
    // col IN ($1, $2)
    if ((before?.text === "(" || before?.text === ",") && p.depth > 0) {
      let j = k - 1
      while (j >= 0 && !(list[j]!.text === "(" && list[j]!.depth === p.depth - 1)) j--
      if (j > 0 && list[j - 1]?.text === "IN") {
        const col = columnBefore(list, j - 1)
        if (col !== undefined) note(p.n!, columnType(schemas, col))
      }
    }
  }
  return types.map((t, i) => (t !== 0 ? t : guess.get(i + 1) ?? PgType.text))
}

/** INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4): each parameter gets its column's type. */
const insertTargets = (list: ReadonlyArray<Atom>, schemas: Schemas, note: (param: number, oid: number | undefined) => void) => {
  const into = list.findIndex((a) => a.kind === "word" && a.text === "INTO" && a.depth === 0)
  if (into < 0) return
  let j = into + 1
  if (!isName(list[j])) return
  while (list[j + 1]?.text === "." && isName(list[j + 2])) j += 2
  const columns = tableColumns(schemas, nameOf(list[j]!))
  if (columns === undefined) return
  j++
  let names = columns.map((c) => c.name)
  if (list[j]?.text === "(") {
    names = []
    for (j++; j < list.length && list[j]!.text !== ")"; j++) if (isName(list[j])) names.push(nameOf(list[j]!))
    j++
  }
  if (list[j]?.text !== "VALUES") return
  const typeOf = (name: string | undefined) =>
    name === undefined ? undefined : typeOfDeclared(columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.declared ?? null) ?? PgType.text
  let position = 0
  for (j++; j < list.length; j++) {
    const a = list[j]!
    if (a.depth === 0 && a.text === "(") position = 0
    else if (a.depth === 1 && a.text === ",") position++
    else if (a.depth === 1 && a.kind === "param") note(a.n!, typeOf(names[position]))
    else if (a.depth === 0 && a.kind === "word") break
  }
}

/** The type named after AS in CAST(… AS type), up to the closing parenthesis. */
const castType = (list: ReadonlyArray<Atom>, start: number): number | undefined => {
  const words: Array<string> = []
  for (let j = start; j < list.length && list[j]!.text !== ")"; j++) if (list[j]!.kind === "word") words.push(list[j]!.text)
  return typeOfDeclared(words.join(" ")) ?? (words.length > 0 ? PgType.text : undefined)
}

// ---- result columns ---------------------------------------------------------

const INT_FUNCTIONS = new Set(["count", "length", "octet_length", "char_length", "instr", "unicode", "changes", "total_changes", "last_insert_rowid", "random", "row_number", "rank", "dense_rank", "ntile", "sign"])
const FLOAT_FUNCTIONS = new Set(["avg", "total", "round", "julianday", "pi", "sqrt", "power", "pow", "exp", "ln", "log", "log10"])
const ARG_FUNCTIONS = new Set(["min", "max", "abs", "coalesce", "ifnull", "nullif", "first_value", "last_value", "lag", "lead", "likely", "unlikely"])
const LOGIC = new Set(["AND", "OR", "NOT", "IS", "IN", "LIKE", "GLOB", "BETWEEN", "EXISTS", "MATCH", "REGEXP"])
const ARITHMETIC = new Set(["+", "-", "*", "/", "%"])

const isIntType = (oid: number) => oid === PgType.int8 || oid === PgType.int4 || oid === PgType.int2

/** Splits `list` at depth-`depth` atoms that satisfy `at`. */
const splitAt = (list: ReadonlyArray<Atom>, depth: number, at: (a: Atom) => boolean): Array<Array<Atom>> => {
  const parts: Array<Array<Atom>> = [[]]
  for (const a of list) {
    if (a.depth === depth && at(a)) parts.push([])
    else parts[parts.length - 1]!.push(a)
  }
  return parts
}

/** The PostgreSQL type of one select-list expression, or undefined when nothing tells. */
export const expressionType = (expr: ReadonlyArray<Atom>, parameterTypes: ReadonlyArray<number>, schemas: Schemas): number | undefined => {
  if (expr.length === 0) return undefined
  const depth = expr[0]!.depth
  const first = expr[0]!
  if (first.kind === "word" && first.text === "CASE" && expr[expr.length - 1]!.text === "END") {
    const then = expr.findIndex((a) => a.depth === depth && a.text === "THEN")
    const stop = expr.findIndex((a, i) => i > then && a.depth === depth && ["WHEN", "ELSE", "END"].includes(a.text))
    return then < 0 || stop < 0 ? undefined : expressionType(expr.slice(then + 1, stop), parameterTypes, schemas)
  }
  const top = expr.filter((a) => a.depth === depth)
  if (top.some((a) => (a.kind === "op" && COMPARISON.has(a.text)) || (a.kind === "word" && LOGIC.has(a.text)))) return PgType.int8
  if (top.some((a) => a.kind === "op" && a.text === "||")) return PgType.text
  if (top.some((a, i) => a.kind === "op" && ARITHMETIC.has(a.text) && i > 0)) {
    const operands = splitAt(expr, depth, (a) => a.kind === "op" && ARITHMETIC.has(a.text)).filter((p) => p.length > 0)
    const types = operands.map((p) => expressionType(p, parameterTypes, schemas))
    if (types.some((t) => t === PgType.float8 || t === PgType.float4 || t === PgType.numeric)) return PgType.float8
    return types.every((t) => t !== undefined && isIntType(t)) ? PgType.int8 : undefined
  }
  if (expr.length === 1) {
    switch (first.kind) {
      case "number":
        return first.integer === true ? PgType.int8 : PgType.float8
      case "string":
        return PgType.text
      case "blob":
        return PgType.bytea
      case "param":
        return parameterTypes[first.n! - 1]
      case "word":
        if (first.text === "TRUE" || first.text === "FALSE") return PgType.int8
        if (first.text === "NULL") return undefined
        return columnType(schemas, first.text)
      case "ident":
        return columnType(schemas, first.text)
    }
    return undefined
  }
  // -1, +x
  if (first.kind === "op" && (first.text === "-" || first.text === "+")) return expressionType(expr.slice(1), parameterTypes, schemas)
  // t.col
  if (expr.length === 3 && isName(first) && expr[1]!.text === "." && isName(expr[2])) return columnType(schemas, nameOf(expr[2]!))
  // (expr)
  if (first.text === "(" && expr[expr.length - 1]!.text === ")") {
    if (expr[1]?.text === "SELECT") return undefined
    return expressionType(expr.slice(1, -1), parameterTypes, schemas)
  }
  // name(args)
  if (isName(first) && expr[1]?.text === "(" && expr[expr.length - 1]!.text === ")") {
    const name = nameOf(first).toLowerCase()
    const args = splitAt(expr.slice(2, -1), depth + 1, (a) => a.text === ",")
    if (name === "cast") {
      const as = expr.findIndex((a) => a.depth === depth + 1 && a.text === "AS")
      return as < 0 ? undefined : castType(expr, as + 1)
    }
    if (INT_FUNCTIONS.has(name)) return PgType.int8
    if (FLOAT_FUNCTIONS.has(name)) return PgType.float8
    if (name === "sum") {
      const t = expressionType(args[0] ?? [], parameterTypes, schemas)
      return t !== undefined && isIntType(t) ? PgType.int8 : t === PgType.numeric ? PgType.numeric : PgType.float8
    }
    if (ARG_FUNCTIONS.has(name)) return expressionType(args[0] ?? [], parameterTypes, schemas)
    return PgType.text
  }
  return undefined
}

/**
 * The select list (or RETURNING list) of a statement, one expression per
 * result column, or undefined when positions cannot be matched (a `*`).
 */
export const resultExpressions = (sql: string): ReadonlyArray<ReadonlyArray<Atom>> | undefined => {
  const list = atoms(sql)
  const returning = list.findIndex((a) => a.depth === 0 && a.kind === "word" && a.text === "RETURNING")
  let start = returning >= 0 ? returning : list.findIndex((a) => a.depth === 0 && a.kind === "word" && a.text === "SELECT")
  if (start < 0) return undefined
  start++
  if (list[start]?.kind === "word" && (list[start]!.text === "DISTINCT" || list[start]!.text === "ALL")) start++
  let end = start
  while (end < list.length && !(list[end]!.depth === 0 && ((list[end]!.kind === "word" && CLAUSE_END.has(list[end]!.text)) || list[end]!.text === ";"))) end++
  const items = splitAt(list.slice(start, end), 0, (a) => a.text === ",")
  if (items.some((item) => item.length === 0 || item[item.length - 1]!.text === "*" && (item.length === 1 || item[item.length - 2]!.text === "."))) {
    return undefined
  }
  return items.map(stripAlias)
}

const stripAlias = (item: ReadonlyArray<Atom>): ReadonlyArray<Atom> => {
  const as = item.findIndex((a) => a.depth === 0 && a.kind === "word" && a.text === "AS")
  if (as > 0) return item.slice(0, as)
  if (item.length >= 2) {
    const last = item[item.length - 1]!
    const before = item[item.length - 2]!
    const aliasLike = isName(last) && !(last.kind === "word" && (RESERVED.has(last.text) || last.text === "END"))
    if (aliasLike && before.kind !== "op" && before.text !== "." && before.text !== "(" && before.text !== ",") return item.slice(0, -1)
  }
  return item
}
