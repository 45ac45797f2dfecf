/**
 * DuckDB column types → PostgreSQL type OIDs, and DuckDB values → the values
 * the protocol package's codec for that OID encodes (text and binary alike).
 * A converter is chosen once per column, so the per-cell work is one call.
 */
import {
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBBlobValue,
  type DuckDBDateValue,
  type DuckDBIntervalValue,
  type DuckDBListValue,
  type DuckDBArrayValue,
  type DuckDBTimeValue,
  type DuckDBTimeTZValue,
  type DuckDBTimestampValue,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampSecondsValue,
  type DuckDBTimestampMillisecondsValue,
  type DuckDBTimestampNanosecondsValue
} from "@duckdb/node-api"
import { Oid, codecForOid, microsToTimestampText, type PgInterval } from "@pgwire-ts/protocol"

/** How one DuckDB column is sent: its PostgreSQL type and a per-cell converter (never given null). */
export interface ColumnMapping {
  readonly oid: number
  readonly convert: (value: DuckDBValue) => unknown
}

const identity = (v: DuckDBValue): unknown => v
const asString = (v: DuckDBValue): unknown => String(v)

// DuckDB counts from 1970-01-01, PostgreSQL's binary formats from 2000-01-01.
const UNIX_TO_PG_MICROS = 946_684_800_000_000n
// DuckDB spells ±infinity as ±(2^63 - 1) microseconds and ±(2^31 - 1) days.
const DUCK_INFINITY = 2n ** 63n - 1n
const DUCK_DATE_INFINITY = 2147483647

const timestampText = (unixMicros: bigint, withZone: boolean): string => {
  if (unixMicros === DUCK_INFINITY) return "infinity"
  if (unixMicros === -DUCK_INFINITY) return "-infinity"
  return microsToTimestampText(unixMicros - UNIX_TO_PG_MICROS, withZone)
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** `YYYY-MM-DD` (with ` BC` before year 1) of a day count since 1970-01-01 (proleptic Gregorian). */
export const dateText = (days: number): string => {
  if (days === DUCK_DATE_INFINITY) return "infinity"
  if (days === -DUCK_DATE_INFINITY) return "-infinity"
  // Civil-from-days over 400-year eras (H. Hinnant's algorithm).
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return year > 0 ? `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` : `${pad(1 - year, 4)}-${pad(month, 2)}-${pad(day, 2)} BC`
}

/** `HH:MM:SS[.ffffff]` of microseconds since midnight, as PostgreSQL prints time. */
export const timeText = (micros: bigint): string => {
  const total = Number(micros)
  const secs = Math.floor(total / 1_000_000)
  const frac = total - secs * 1_000_000
  const base = `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`
  return frac === 0 ? base : `${base}.${pad(frac, 6).replace(/0+$/, "")}`
}

/** `+HH[:MM[:SS]]` of a UTC offset in seconds (east positive). */
const offsetText = (offset: number): string => {
  const sign = offset < 0 ? "-" : "+"
  const abs = Math.abs(offset)
  const h = Math.floor(abs / 3600)
  const m = Math.floor(abs / 60) % 60
  const s = abs % 60
  return `${sign}${pad(h, 2)}${m !== 0 || s !== 0 ? `:${pad(m, 2)}` : ""}${s !== 0 ? `:${pad(s, 2)}` : ""}`
}

const scalar = (oid: number, convert: (v: DuckDBValue) => unknown = identity): ColumnMapping => ({ oid, convert })

/** The PostgreSQL mapping of a DuckDB column type. Types PostgreSQL has no peer for travel as text. */
export const columnMapping = (type: DuckDBType): ColumnMapping => {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return scalar(Oid.bool)
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return scalar(Oid.int2)
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return scalar(Oid.int4)
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return scalar(Oid.int8)
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      // Beyond int8's range: numeric holds them exactly.
      return scalar(Oid.numeric, (v) => (typeof v === "bigint" ? v : String(v)))
    case DuckDBTypeId.FLOAT:
      return scalar(Oid.float4)
    case DuckDBTypeId.DOUBLE:
      return scalar(Oid.float8)
    case DuckDBTypeId.DECIMAL:
      return scalar(Oid.numeric, asString)
    case DuckDBTypeId.VARCHAR:
      return type.alias === "JSON" ? scalar(Oid.json) : scalar(Oid.varchar)
    case DuckDBTypeId.BLOB:
      return scalar(Oid.bytea, (v) => (v as DuckDBBlobValue).bytes)
    case DuckDBTypeId.UUID:
      return scalar(Oid.uuid, asString)
    case DuckDBTypeId.DATE:
      return scalar(Oid.date, (v) => dateText((v as DuckDBDateValue).days))
    case DuckDBTypeId.TIME:
      return scalar(Oid.time, (v) => timeText((v as DuckDBTimeValue).micros))
    case DuckDBTypeId.TIME_TZ:
      return scalar(Oid.timetz, (v) => {
        const t = v as DuckDBTimeTZValue
        return `${timeText(t.micros)}${offsetText(t.offset)}`
      })
    case DuckDBTypeId.TIMESTAMP:
      return scalar(Oid.timestamp, (v) => timestampText((v as DuckDBTimestampValue).micros, false))
    case DuckDBTypeId.TIMESTAMP_S:
      return scalar(Oid.timestamp, (v) => timestampText((v as DuckDBTimestampSecondsValue).seconds * 1_000_000n, false))
    case DuckDBTypeId.TIMESTAMP_MS:
      return scalar(Oid.timestamp, (v) => timestampText((v as DuckDBTimestampMillisecondsValue).millis * 1000n, false))
    case DuckDBTypeId.TIMESTAMP_NS:
      return scalar(Oid.timestamp, (v) => timestampText((v as DuckDBTimestampNanosecondsValue).nanos / 1000n, false))
    case DuckDBTypeId.TIMESTAMP_TZ:
      return scalar(Oid.timestamptz, (v) => timestampText((v as DuckDBTimestampTZValue).micros, true))
    case DuckDBTypeId.INTERVAL:
      return scalar(Oid.interval, (v) => {
        const iv = v as DuckDBIntervalValue
        return { months: iv.months, days: iv.days, microseconds: iv.micros } satisfies PgInterval
      })
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return listMapping(type.valueType)
    default:
      // ENUM, STRUCT, MAP, UNION, BIT, GEOMETRY...: DuckDB's own text form.
      return scalar(Oid.text, asString)
  }
}

/** A one-level list of a type with a PostgreSQL array type becomes that array; anything deeper is text. */
const listMapping = (elementType: DuckDBType): ColumnMapping => {
  const element = columnMapping(elementType)
  const arrayOid = codecForOid(element.oid).arrayOid
  if (elementType.typeId === DuckDBTypeId.LIST || elementType.typeId === DuckDBTypeId.ARRAY || arrayOid === 0) {
    return scalar(Oid.text, asString)
  }
  return scalar(arrayOid, (v) =>
    (v as DuckDBListValue | DuckDBArrayValue).items.map((item) => (item === null ? null : element.convert(item)))
  )
}
