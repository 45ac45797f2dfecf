/**
 * PostgreSQL types for SQLite result columns. A column with a declared type
 * (a table column) gets the PostgreSQL type its declaration names; an
 * expression has no declared type, so the first non-null value decides.
 * Values are then normalized to what that PostgreSQL type expects in JS.
 */

/** Type OIDs from pg_type.dat. */
export const PgType = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802
} as const

/** What better-sqlite3 returns (with safeIntegers) and what crosses the process boundary. */
export type SqliteValue = bigint | number | string | Uint8Array | null

const declaredNames: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(BOOL|BOOLEAN)$/, PgType.bool],
  [/^(SMALLINT|INT2|TINYINT)$/, PgType.int2],
  [/^(INT|INT4|MEDIUMINT)$/, PgType.int4],
  // SQLite integers are 64-bit; INTEGER PRIMARY KEY is the 64-bit rowid.
  [/^(INTEGER|BIGINT|INT8|UNSIGNED BIG INT)$/, PgType.int8],
  [/^(REAL|DOUBLE|DOUBLE PRECISION|FLOAT|FLOAT8)$/, PgType.float8],
  [/^FLOAT4$/, PgType.float4],
  [/^(NUMERIC|DECIMAL)$/, PgType.numeric],
  [/^(TEXT|CLOB|NAME|CITEXT)$/, PgType.text],
  [/^(VARCHAR|CHARACTER VARYING|NVARCHAR|VARYING CHARACTER|NATIVE CHARACTER)$/, PgType.varchar],
  [/^(CHAR|CHARACTER|NCHAR|BPCHAR)$/, PgType.bpchar],
  [/^(BLOB|BYTEA)$/, PgType.bytea],
  [/^DATE$/, PgType.date],
  [/^(TIME|TIME WITHOUT TIME ZONE)$/, PgType.time],
  [/^(TIMESTAMP|DATETIME|TIMESTAMP WITHOUT TIME ZONE)$/, PgType.timestamp],
  [/^(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)$/, PgType.timestamptz],
  [/^JSON$/, PgType.json],
  [/^JSONB$/, PgType.jsonb],
  [/^UUID$/, PgType.uuid],
  [/^OID$/, PgType.oid]
]

/** The PostgreSQL type a declared column type names, or undefined when it names none we know. */
export const typeOfDeclared = (declared: string | null): number | undefined => {
  if (declared === null) return undefined
  // "VARCHAR(20)", "numeric(10, 2)", "int[]": the base name decides.
  const base = declared.replace(/\(.*$/, "").replace(/\[\]$/, "").trim().replace(/\s+/g, " ").toUpperCase()
  for (const [pattern, oid] of declaredNames) if (pattern.test(base)) return oid
  return undefined
}

/** The PostgreSQL type of an expression's value. */
export const typeOfValue = (value: SqliteValue): number => {
  switch (typeof value) {
    case "bigint":
      return PgType.int8
    case "number":
      return PgType.float8
    case "string":
      return PgType.text
    default:
      return value === null ? PgType.text : PgType.bytea
  }
}

export interface LaneColumn {
  readonly name: string
  readonly declared: string | null
}

export interface Column {
  readonly name: string
  readonly typeOid: number
  /** The SQLite declared type, when the column is a table column. */
  readonly declared: string | null
}

/**
 * PostgreSQL's name for an unaliased expression column: SQLite names it by its
 * source text (`count(*)`, `1 + 1`), PostgreSQL by its function (`count`) or
 * `?column?`. Identifiers, and names the statement spells as a quoted alias,
 * are kept.
 */
export const columnName = (name: string, sql: string): string => {
  if (sql.includes(`"${name}"`)) return name
  if (/^[A-Za-z_][\w$]*$/.test(name)) return /^null$/i.test(name) ? "?column?" : name
  const call = /^([A-Za-z_][\w$]*)\s*\([\s\S]*\)$/.exec(name)
  if (call) return call[1]!.toLowerCase()
  return "?column?"
}

/** Column types for a result: declared types first, else the first non-null value in `rows`. */
export const describeColumns = (
  columns: ReadonlyArray<LaneColumn>,
  rows: ReadonlyArray<ReadonlyArray<SqliteValue>>,
  sql = ""
): ReadonlyArray<Column> =>
  columns.map((c, i) => {
    const declared = typeOfDeclared(c.declared)
    const name = c.declared === null ? columnName(c.name, sql) : c.name
    if (declared !== undefined) return { name, typeOid: declared, declared: c.declared }
    let oid: number = PgType.text
    for (const row of rows) {
      const v = row[i] ?? null
      if (v !== null) {
        oid = typeOfValue(v)
        break
      }
    }
    return { name, typeOid: oid, declared: c.declared }
  })

const INT4_MIN = -2147483648n
const INT4_MAX = 2147483647n
const INT2_MIN = -32768n
const INT2_MAX = 32767n
const utf8 = new TextDecoder()
const utf8Encoder = new TextEncoder()

const truthy = /^(t|true|y|yes|on|1)$/i
const falsy = /^(f|false|n|no|off|0)$/i

/**
 * The value as the column's PostgreSQL type expects it in JS (bool → boolean,
 * int2/int4 → number, int8 → bigint, numeric → string, bytea → bytes...).
 * SQLite is dynamically typed: a value that does not fit its column's type
 * becomes its text, which text format sends as it is.
 */
export const normalizeValue = (value: SqliteValue, oid: number): unknown => {
  if (value === null) return null
  switch (oid) {
    case PgType.bool:
      if (typeof value === "bigint") return value !== 0n
      if (typeof value === "number") return value !== 0
      if (typeof value === "string") return truthy.test(value) ? true : falsy.test(value) ? false : value
      return textOf(value)
    case PgType.int2:
    case PgType.int4: {
      const [min, max] = oid === PgType.int2 ? [INT2_MIN, INT2_MAX] : [INT4_MIN, INT4_MAX]
      if (typeof value === "bigint" && value >= min && value <= max) return Number(value)
      return textOf(value)
    }
    case PgType.int8:
      if (typeof value === "bigint") return value
      return typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : textOf(value)
    case PgType.float4:
    case PgType.float8:
      if (typeof value === "number") return value
      return typeof value === "bigint" ? Number(value) : textOf(value)
    case PgType.numeric:
      return typeof value === "bigint" || typeof value === "number" ? numericText(value) : textOf(value)
    case PgType.bytea:
      return value instanceof Uint8Array ? value : utf8Encoder.encode(textOf(value))
    default:
      return textOf(value)
  }
}

const textOf = (value: bigint | number | string | Uint8Array): string =>
  typeof value === "string"
    ? value
    : typeof value === "number"
      ? floatText(value)
      : typeof value === "bigint"
        ? value.toString()
        : utf8.decode(value)

const floatText = (n: number): string =>
  Number.isNaN(n) ? "NaN" : n === Infinity ? "Infinity" : n === -Infinity ? "-Infinity" : String(n)

const numericText = (n: bigint | number): string => {
  if (typeof n === "bigint") return n.toString()
  if (!Number.isFinite(n)) return floatText(n)
  // numeric text never uses exponent notation
  const s = String(n)
  if (!/e/i.test(s)) return s
  return Number.isInteger(n) ? BigInt(n).toString() : n.toFixed(20).replace(/\.?0+$/, "")
}
