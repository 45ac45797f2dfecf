/**
 * Which columns a GlueSQL SELECT result has, in which order, of which type.
 * GlueSQL's rows are JSON objects keyed by label in sorted order; the
 * statement's select list (see `selectShape`) restores the order, and the
 * declared types of the FROM tables give plain columns their real types.
 * Whatever cannot be matched keeps GlueSQL's order and an inferred type.
 */
import { type ColumnType, fromGlueType, inferType, TEXT } from "./glueTypes.js"
import { normalizeLabel, type SelectShape } from "./selectShape.js"

export interface DeclaredColumn {
  readonly name: string
  readonly type: string
}

/** Declared columns by table name (from `SHOW COLUMNS`); tables it could not describe are absent. */
export type Schemas = ReadonlyMap<string, ReadonlyArray<DeclaredColumn>>

export interface ResultColumn {
  readonly name: string
  /** The key of this column in GlueSQL's row objects. */
  readonly key: string
  readonly type: ColumnType
}

interface Planned {
  readonly label: string
  readonly declared: string | undefined
}

// column1, column2, ..., column10 (VALUES) in numeric order, not string order.
const naturalOrder = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true })

const plan = (shape: SelectShape, schemas: Schemas): ReadonlyArray<Planned> | undefined => {
  const tablesNamed = (name: string | undefined) =>
    name === undefined ? shape.from : shape.from.filter((r) => r.alias === name || (r.alias === undefined && r.name === name))
  const planned: Array<Planned> = []
  for (const item of shape.items) {
    switch (item._tag) {
      case "Star": {
        const tables = tablesNamed(item.table)
        if (tables.length === 0) return undefined
        for (const table of tables) {
          const columns = schemas.get(table.name)
          if (columns === undefined) return undefined
          for (const c of columns) planned.push({ label: c.name, declared: c.type })
        }
        break
      }
      case "Column": {
        const declared = tablesNamed(item.table)
          .map((r) => schemas.get(r.name)?.find((c) => c.name === item.column)?.type)
          .find((type) => type !== undefined)
        planned.push({ label: item.label, declared })
        break
      }
      case "Expression":
        planned.push({ label: item.label, declared: undefined })
    }
  }
  return planned
}

export const resultColumns = (
  shape: SelectShape | undefined,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  schemas: Schemas
): ReadonlyArray<ResultColumn> => {
  const keys = rows.length > 0 ? Object.keys(rows[0]!) : []
  const typeOf = (key: string, declared: string | undefined) =>
    declared !== undefined ? fromGlueType(declared) : inferType(rows.map((r) => r[key]))
  const planned = shape === undefined ? undefined : plan(shape, schemas)
  if (planned === undefined) {
    return [...keys].sort(naturalOrder).map((key) => ({ name: key, key, type: typeOf(key, undefined) }))
  }
  if (rows.length === 0) {
    // No row objects to read labels from: the select list is all there is.
    const seen = new Set<string>()
    return planned.flatMap((p) => {
      if (seen.has(p.label)) return []
      seen.add(p.label)
      return [{ name: p.label, key: p.label, type: p.declared === undefined ? TEXT : fromGlueType(p.declared) }]
    })
  }
  const byNormalized = new Map(keys.map((k) => [normalizeLabel(k), k]))
  const used = new Set<string>()
  const columns: Array<ResultColumn> = []
  for (const p of planned) {
    const key = byNormalized.get(normalizeLabel(p.label))
    // A label GlueSQL printed differently is left to the leftovers below.
    if (key === undefined || used.has(key)) continue
    used.add(key)
    columns.push({ name: key, key, type: typeOf(key, p.declared) })
  }
  for (const key of [...keys].sort(naturalOrder)) {
    if (!used.has(key)) columns.push({ name: key, key, type: typeOf(key, undefined) })
  }
  return columns
}
