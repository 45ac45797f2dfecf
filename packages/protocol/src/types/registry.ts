import { makeArrayCodec } from "./array.js"
import { boolCodec } from "./bool.js"
import { byteaCodec } from "./bytea.js"
import { dateCodec, timeCodec, timestampCodec, timestamptzCodec, timetzCodec } from "./datetime.js"
import { float4Codec, float8Codec } from "./floats.js"
import { int2Codec, int4Codec, int8Codec, oidCodec } from "./integers.js"
import { intervalCodec } from "./interval.js"
import { jsonbCodec, jsonCodec } from "./json.js"
import { numericCodec } from "./numeric.js"
import { Oid, pgTypeByOid } from "./oids.js"
import {
  bpcharCodec,
  charCodec,
  makeTextPassthroughCodec,
  nameCodec,
  textCodec,
  unknownCodec,
  varcharCodec,
  xmlCodec
} from "./strings.js"
import type { AnyTypeCodec } from "./TypeCodec.js"
import { uuidCodec } from "./uuid.js"

/**
 * Every codec by pg_type name, arrays as `_name` (`PgTypes.int4`, `PgTypes._int4`).
 * Value types: bool → boolean; int2/int4/oid/float4/float8 → number; int8 →
 * bigint; numeric → string; text/varchar/bpchar/name/char/xml → string; bytea →
 * Uint8Array; uuid → string; json/jsonb → string (the JSON text);
 * date/time/timetz/timestamp/timestamptz/interval → PostgreSQL's text output;
 * arrays → (nested) JS arrays with null for NULL.
 */
export const PgTypes = {
  bool: boolCodec,
  _bool: makeArrayCodec(boolCodec),
  bytea: byteaCodec,
  _bytea: makeArrayCodec(byteaCodec),
  char: charCodec,
  _char: makeArrayCodec(charCodec),
  name: nameCodec,
  _name: makeArrayCodec(nameCodec),
  int8: int8Codec,
  _int8: makeArrayCodec(int8Codec),
  int2: int2Codec,
  _int2: makeArrayCodec(int2Codec),
  int4: int4Codec,
  _int4: makeArrayCodec(int4Codec),
  text: textCodec,
  _text: makeArrayCodec(textCodec),
  oid: oidCodec,
  _oid: makeArrayCodec(oidCodec),
  json: jsonCodec,
  _json: makeArrayCodec(jsonCodec),
  xml: xmlCodec,
  _xml: makeArrayCodec(xmlCodec),
  float4: float4Codec,
  _float4: makeArrayCodec(float4Codec),
  float8: float8Codec,
  _float8: makeArrayCodec(float8Codec),
  unknown: unknownCodec,
  bpchar: bpcharCodec,
  _bpchar: makeArrayCodec(bpcharCodec),
  varchar: varcharCodec,
  _varchar: makeArrayCodec(varcharCodec),
  date: dateCodec,
  _date: makeArrayCodec(dateCodec),
  time: timeCodec,
  _time: makeArrayCodec(timeCodec),
  timestamp: timestampCodec,
  _timestamp: makeArrayCodec(timestampCodec),
  timestamptz: timestamptzCodec,
  _timestamptz: makeArrayCodec(timestamptzCodec),
  interval: intervalCodec,
  _interval: makeArrayCodec(intervalCodec),
  timetz: timetzCodec,
  _timetz: makeArrayCodec(timetzCodec),
  numeric: numericCodec,
  _numeric: makeArrayCodec(numericCodec),
  uuid: uuidCodec,
  _uuid: makeArrayCodec(uuidCodec),
  jsonb: jsonbCodec,
  _jsonb: makeArrayCodec(jsonbCodec)
} as const

const known = new Map<number, AnyTypeCodec>()
for (const codec of Object.values(PgTypes)) known.set(codec.oid, codec as AnyTypeCodec)

/** The codec for a type OID we have a real codec for (arrays included), else undefined. */
export const knownCodecForOid = (oid: number): AnyTypeCodec | undefined => known.get(oid)

// Text passthrough codecs for the other built-in types, made on first use.
const fallback = new Map<number, AnyTypeCodec>()

const passthroughFor = (oid: number): AnyTypeCodec => {
  const cached = fallback.get(oid)
  if (cached !== undefined) return cached
  const info = pgTypeByOid.get(oid)
  let codec: AnyTypeCodec
  if (info !== undefined && info.category === "A" && info.elemOid !== 0 && info.typlen === -1) {
    const elem = known.get(info.elemOid) ?? passthroughFor(info.elemOid)
    const elemDelimiter = pgTypeByOid.get(info.elemOid)?.delimiter ?? ","
    codec = makeArrayCodec(elem, { oid, name: info.name, delimiter: elemDelimiter }) as AnyTypeCodec
  } else {
    codec = makeTextPassthroughCodec(info?.name ?? `oid_${oid}`, oid, info?.arrayOid ?? 0) as AnyTypeCodec
  }
  // User-defined OIDs are unbounded: keep the cache to the catalog's size plus some.
  if (info !== undefined || fallback.size < 1024) fallback.set(oid, codec)
  return codec
}

/**
 * The codec for a type OID: a real codec for the types above and their arrays;
 * for any other array type in pg_type, an array of text-passthrough elements;
 * for anything else, a text passthrough (the value is its text; binary is the
 * raw UTF-8 bytes, so request text format for types without a codec).
 */
export const codecForOid = (oid: number): AnyTypeCodec => known.get(oid) ?? passthroughFor(oid)

/** The default codec for values of unknown type (OID 705): strings pass through. */
export const defaultTextCodec: AnyTypeCodec = unknownCodec as AnyTypeCodec

// ---- inferring a type from a JS value ----

const isInterval = (v: object): boolean =>
  typeof (v as { months?: unknown }).months === "number" &&
  typeof (v as { days?: unknown }).days === "number" &&
  typeof (v as { microseconds?: unknown }).microseconds === "bigint"

const scalarOid = (value: unknown): number => {
  switch (typeof value) {
    case "boolean":
      return Oid.bool
    case "number":
      if (Number.isInteger(value)) {
        if (value >= -2147483648 && value <= 2147483647) return Oid.int4
        if (Number.isSafeInteger(value)) return Oid.int8
      }
      return Oid.float8
    case "bigint":
      return Oid.int8
    case "string":
      return Oid.text
    case "object":
      if (value === null) return Oid.unknown
      if (value instanceof Uint8Array) return Oid.bytea
      if (value instanceof Date) return Oid.timestamptz
      if (isInterval(value)) return Oid.interval
      return Oid.jsonb
  }
  return Oid.unknown
}

/** Rank of number-like element types, so [1, 2.5] is float8[] and [1, 2n ** 40n] int8[]. */
const numericRank = (oid: number): number => (oid === Oid.int4 ? 1 : oid === Oid.int8 ? 2 : oid === Oid.float8 ? 3 : 0)

/** The element type of a (nested) array: the first non-null element's, widened over numbers. */
const elementOid = (values: ReadonlyArray<unknown>, current: number): number => {
  let oid = current
  for (const v of values) {
    if (v === null || v === undefined) continue
    const e = Array.isArray(v) ? elementOid(v, oid) : scalarOid(v)
    if (oid === 0) oid = e
    else if (numericRank(oid) > 0 && numericRank(e) > numericRank(oid)) oid = e
  }
  return oid
}

/**
 * A sensible PostgreSQL type for a JS value: boolean → bool, integer number →
 * int4 (int8 past the int4 range, float8 past 2^53), other number → float8,
 * bigint → int8, string → text, Uint8Array → bytea, Date → timestamptz,
 * PgInterval → interval, other object → jsonb, array → the element type's array
 * type (text[] when it has no non-null element), null/undefined → unknown (705).
 */
export const inferOid = (value: unknown): number => {
  if (!Array.isArray(value)) return scalarOid(value)
  const elem = elementOid(value, 0)
  if (elem === 0 || elem === Oid.unknown) return Oid._text
  return pgTypeByOid.get(elem)?.arrayOid || Oid._text
}
