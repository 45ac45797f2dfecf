/**
 * GlueSQL data types → PostgreSQL type OIDs, and the JSON values GlueSQL's
 * JavaScript binding returns → values the protocol package's codecs encode.
 */
import { Oid } from "@pgwire-ts/protocol"

/** How one result column is sent. */
export interface ColumnType {
  readonly oid: number
  /** Turns a non-null JSON cell into a codec input. */
  readonly convert: (value: unknown) => unknown
}

const same = (v: unknown): unknown => v
const asText = (v: unknown): unknown => (typeof v === "string" ? v : JSON.stringify(v))
const asJson = (v: unknown): unknown => JSON.stringify(v)
// GlueSQL prints timestamps as `2024-01-02 03:04:05 UTC`; they carry no zone (PostgreSQL's timestamp).
const asTimestamp = (v: unknown): unknown => (typeof v === "string" ? v.replace(/ UTC$/, "") : v)
// BYTEA arrives as hex digits.
const asBytes = (v: unknown): unknown => (typeof v === "string" ? Uint8Array.from(Buffer.from(v, "hex")) : v)

const t = (oid: number, convert: (value: unknown) => unknown = same): ColumnType => ({ oid, convert })

/** By the type names GlueSQL reports in `SHOW COLUMNS`. */
const byGlueType: Readonly<Record<string, ColumnType>> = {
  BOOLEAN: t(Oid.bool),
  INT8: t(Oid.int2),
  INT16: t(Oid.int2),
  INT32: t(Oid.int4),
  INT: t(Oid.int8),
  INT128: t(Oid.numeric),
  UINT8: t(Oid.int2),
  UINT16: t(Oid.int4),
  UINT32: t(Oid.int8),
  UINT64: t(Oid.numeric),
  UINT128: t(Oid.numeric),
  FLOAT32: t(Oid.float4),
  FLOAT: t(Oid.float8),
  DECIMAL: t(Oid.numeric),
  TEXT: t(Oid.text),
  BYTEA: t(Oid.bytea, asBytes),
  INET: t(Oid.inet),
  DATE: t(Oid.date),
  TIMESTAMP: t(Oid.timestamp, asTimestamp),
  TIME: t(Oid.time),
  UUID: t(Oid.uuid),
  MAP: t(Oid.json, asJson),
  LIST: t(Oid.json, asJson)
  // INTERVAL ('1' DAY) and POINT (POINT(1 2)) have GlueSQL spellings PostgreSQL
  // would not read back: they fall through to text.
}

export const TEXT: ColumnType = t(Oid.text, asText)

/** The type of a declared column (`SHOW COLUMNS` type name). */
export const fromGlueType = (name: string): ColumnType => byGlueType[name.toUpperCase()] ?? TEXT

/**
 * The type of a computed column, from the values it holds: GlueSQL's JSON
 * carries no type. Integers → int8, other numbers → float8, booleans → bool,
 * strings → text, objects and arrays → json; mixed or all-NULL → text.
 */
type Kind = "none" | "bool" | "int" | "float" | "string" | "json" | "mixed"

const kindOf = (v: unknown): Kind =>
  typeof v === "boolean" ? "bool" : typeof v === "number" ? (Number.isInteger(v) ? "int" : "float") : typeof v === "string" ? "string" : "json"

const widen = (a: Kind, b: Kind): Kind => {
  if (a === "none" || a === b) return b
  if ((a === "int" && b === "float") || (a === "float" && b === "int")) return "float"
  return "mixed"
}

export const inferType = (values: Iterable<unknown>): ColumnType => {
  let kind: Kind = "none"
  for (const v of values) {
    if (v === null || v === undefined) continue
    kind = widen(kind, kindOf(v))
    if (kind === "mixed") break
  }
  switch (kind) {
    case "bool":
      return t(Oid.bool)
    case "int":
      return t(Oid.int8)
    case "float":
      return t(Oid.float8)
    case "json":
      return t(Oid.json, asJson)
    default:
      return TEXT
  }
}
