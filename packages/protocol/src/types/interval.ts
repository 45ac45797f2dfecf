import type { Writer } from "../buffer/Writer.js"
import { readInt32, readInt64 } from "./binary.js"
import { formatFraction, rint } from "./calendar.js"
import { Oid } from "./oids.js"
import {
  binaryError,
  encodeError,
  preview,
  SQLSTATE_DATETIME_OVERFLOW,
  SQLSTATE_INTERVAL_FIELD_OVERFLOW,
  SQLSTATE_INVALID_DATETIME,
  textError,
  type TypeDecodeError,
  type TypeEncodeError
} from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// interval ↔ string in PostgreSQL's default output style (IntervalStyle
// `postgres`): `1 year 2 mons 3 days 04:05:06.789`, `-1 days +02:00:00`,
// `00:00:00`. Text input takes that style (with `@`, `ago`, every unit name
// and abbreviation, fractional units, `hh:mm:ss` fields, `y-m` fields) and ISO
// 8601 (`P1Y2M3DT4H5M6.7S`, `P0001-02-03T04:05:06`), interpreted as
// DecodeInterval / DecodeISO8601Interval do. Binary form: int64 microseconds,
// int32 days, int32 months. `PgInterval` gives the three fields.

/** The three fields PostgreSQL stores: they are independent (a month is not 30 days, a day is not 24 hours). */
export interface PgInterval {
  readonly months: number
  readonly days: number
  readonly microseconds: bigint
}

type Fail = (reason: string, sqlState?: string) => TypeDecodeError | TypeEncodeError

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const USECS_PER_SEC = 1000000
const USECS_PER_MINUTE = 60000000
const USECS_PER_HOUR = 3600000000
const USECS_PER_DAY = 86400000000
const DAYS_PER_MONTH = 30

/** Fields being accumulated while parsing (pg_itm_in). */
class Accumulator {
  years = 0
  months = 0
  days = 0
  usec = 0n
  constructor(readonly fail: Fail, readonly text: string) {}

  overflow(): TypeDecodeError | TypeEncodeError {
    return this.fail(`interval field value out of range: ${preview(this.text)}`, SQLSTATE_INTERVAL_FIELD_OVERFLOW)
  }
  int32(v: number): number {
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw this.overflow()
    return v
  }
  addUsec(v: bigint): void {
    const r = this.usec + v
    if (r < INT64_MIN || r > INT64_MAX) throw this.overflow()
    this.usec = r
  }
  /** AdjustFractMicroseconds: frac * scale µs, rounded half away from zero. */
  fractMicros(frac: number, scale: number): void {
    if (frac === 0) return
    const f = frac * scale
    let usec = Math.trunc(f)
    const rest = f - usec
    if (rest > 0.5) usec++
    else if (rest < -0.5) usec--
    this.addUsec(BigInt(usec))
  }
  /** AdjustFractDays: whole days to `days`, the rest as µs. */
  fractDays(frac: number, scale: number): void {
    if (frac === 0) return
    const f = frac * scale
    const extra = Math.trunc(f)
    this.days = this.int32(this.days + extra)
    this.fractMicros(f - extra, USECS_PER_DAY)
  }
  /** AdjustFractYears: rounded whole months. */
  fractYears(frac: number, scale: number): void {
    this.months = this.int32(this.months + rint(frac * scale * 12))
  }
  micros(val: bigint, fval: number, scale: number): void {
    this.addUsec(val * BigInt(scale))
    this.fractMicros(fval, scale)
  }
  addDays(val: bigint, scale: number): void {
    this.days = this.int32(this.days + this.int32(Number(val)) * scale)
  }
  addMonths(val: bigint): void {
    this.months = this.int32(this.months + this.int32(Number(val)))
  }
  addYears(val: bigint, scale: number): void {
    this.years = this.int32(this.int32(Number(val)) * scale + this.years)
  }
  result(): PgInterval {
    const months = this.years * 12 + this.months
    if (months < INT32_MIN || months > INT32_MAX) {
      throw this.fail(`interval out of range: ${preview(this.text)}`, SQLSTATE_DATETIME_OVERFLOW)
    }
    return { months, days: this.days, microseconds: this.usec }
  }
}

// ---- postgres-style input (ParseDateTime + DecodeInterval) ----

const enum Unit {
  Microsecond,
  Millisecond,
  Second,
  Minute,
  Hour,
  Day,
  Week,
  Month,
  Year,
  Decade,
  Century,
  Millennium
}

// DecodeUnits' table; tokens are compared on their first 10 characters.
const UNITS: Record<string, Unit> = {
  microsecon: Unit.Microsecond, us: Unit.Microsecond, usec: Unit.Microsecond, usecs: Unit.Microsecond, useconds: Unit.Microsecond,
  millisecon: Unit.Millisecond, ms: Unit.Millisecond, msec: Unit.Millisecond, msecs: Unit.Millisecond, mseconds: Unit.Millisecond,
  s: Unit.Second, sec: Unit.Second, secs: Unit.Second, second: Unit.Second, seconds: Unit.Second,
  m: Unit.Minute, min: Unit.Minute, mins: Unit.Minute, minute: Unit.Minute, minutes: Unit.Minute,
  h: Unit.Hour, hr: Unit.Hour, hrs: Unit.Hour, hour: Unit.Hour, hours: Unit.Hour,
  d: Unit.Day, day: Unit.Day, days: Unit.Day,
  w: Unit.Week, week: Unit.Week, weeks: Unit.Week,
  mon: Unit.Month, mons: Unit.Month, month: Unit.Month, months: Unit.Month,
  y: Unit.Year, yr: Unit.Year, yrs: Unit.Year, year: Unit.Year, years: Unit.Year,
  dec: Unit.Decade, decs: Unit.Decade, decade: Unit.Decade, decades: Unit.Decade,
  c: Unit.Century, cent: Unit.Century, century: Unit.Century, centuries: Unit.Century,
  mil: Unit.Millennium, mils: Unit.Millennium, millennium: Unit.Millennium, millennia: Unit.Millennium
}

const bit = (u: Unit): number => 1 << u
const ALL_SECS = bit(Unit.Second) | bit(Unit.Millisecond) | bit(Unit.Microsecond)
const TIME_MASK = bit(Unit.Hour) | bit(Unit.Minute) | ALL_SECS

const enum Field {
  Number,
  Time,
  Signed,
  Word
}

interface Token {
  readonly kind: Field
  readonly text: string
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"
const isAlpha = (c: string | undefined): boolean => c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"))
const isSpace = (c: string): boolean => c === " " || (c >= "\t" && c <= "\r")

/** ParseDateTime's field split, restricted to what interval input can contain. */
const tokenize = (s: string): Array<Token> | undefined => {
  const out: Array<Token> = []
  let i = 0
  const n = s.length
  while (i < n) {
    const c = s[i]!
    if (isSpace(c)) {
      i++
    } else if (isDigit(c)) {
      const start = i
      while (isDigit(s[i])) i++
      if (s[i] === ":") {
        while (isDigit(s[i]) || s[i] === ":" || s[i] === ".") i++
        out.push({ kind: Field.Time, text: s.slice(start, i) })
      } else if (s[i] === "." || s[i] === "-") {
        i++
        while (isDigit(s[i])) i++
        out.push({ kind: Field.Number, text: s.slice(start, i) })
      } else {
        out.push({ kind: Field.Number, text: s.slice(start, i) })
      }
    } else if (c === ".") {
      const start = i++
      while (isDigit(s[i])) i++
      out.push({ kind: Field.Number, text: s.slice(start, i) })
    } else if (isAlpha(c)) {
      const start = i
      while (isAlpha(s[i])) i++
      // A word run into digits or date punctuation is a date or zone name to ParseDateTime.
      const next = s[i]
      if (isDigit(next) || next === "+" || next === "-" || next === "/" || next === ".") return undefined
      out.push({ kind: Field.Word, text: s.slice(start, i).toLowerCase() })
    } else if (c === "+" || c === "-") {
      i++
      while (i < n && isSpace(s[i]!)) i++
      if (isDigit(s[i]) || s[i] === ".") {
        const start = i
        while (isDigit(s[i]) || s[i] === ":" || s[i] === "." || s[i] === "-") i++
        out.push({ kind: Field.Signed, text: c + s.slice(start, i) })
      } else {
        return undefined
      }
    } else if (c.charCodeAt(0) < 128 && /[!-/:-@[-`{-~]/.test(c)) {
      i++ // other ASCII punctuation only separates fields
    } else {
      return undefined
    }
  }
  return out
}

const INTEGER_PREFIX = /^[+-]?[0-9]*/

/** `hh:mm[:ss[.f]]` or `mm:ss.f` (DecodeTime) as µs; undefined if malformed. */
const timeFieldMicros = (text: string, acc: Accumulator): bigint | undefined => {
  const parts = text.split(":")
  if (parts.length < 2 || parts.length > 3) return undefined
  let hour: string
  let minute: string
  let second: string
  if (parts.length === 2 && parts[1]!.includes(".")) {
    hour = "0"
    minute = parts[0]!
    second = parts[1]!
  } else {
    hour = parts[0]!
    minute = parts[1]!
    second = parts[2] ?? "0"
  }
  if (!/^\d+$/.test(hour) || !/^\d+$/.test(minute) || !/^\d*(?:\.\d*)?$/.test(second) || second === "") return undefined
  const dot = second.indexOf(".")
  const secWhole = dot < 0 ? second : second.slice(0, dot)
  const frac = dot < 0 ? 0 : Number("0" + second.slice(dot))
  const m = Number(minute)
  const sec = secWhole === "" ? 0 : Number(secWhole)
  if (m > 59 || sec > 60) throw acc.overflow()
  return (
    BigInt(hour) * BigInt(USECS_PER_HOUR) +
    BigInt(m * USECS_PER_MINUTE) +
    BigInt(sec * USECS_PER_SEC) +
    BigInt(rint(frac * USECS_PER_SEC))
  )
}

const applyUnit = (acc: Accumulator, unit: Unit, val: bigint, fval: number): void => {
  switch (unit) {
    case Unit.Microsecond:
      return acc.micros(val, fval, 1)
    case Unit.Millisecond:
      return acc.micros(val, fval, 1000)
    case Unit.Second:
      return acc.micros(val, fval, USECS_PER_SEC)
    case Unit.Minute:
      return acc.micros(val, fval, USECS_PER_MINUTE)
    case Unit.Hour:
      return acc.micros(val, fval, USECS_PER_HOUR)
    case Unit.Day:
      acc.addDays(val, 1)
      return acc.fractMicros(fval, USECS_PER_DAY)
    case Unit.Week:
      acc.addDays(val, 7)
      return acc.fractDays(fval, 7)
    case Unit.Month:
      acc.addMonths(val)
      return acc.fractDays(fval, DAYS_PER_MONTH)
    case Unit.Year:
      acc.addYears(val, 1)
      return acc.fractYears(fval, 1)
    case Unit.Decade:
      acc.addYears(val, 10)
      return acc.fractYears(fval, 10)
    case Unit.Century:
      acc.addYears(val, 100)
      return acc.fractYears(fval, 100)
    case Unit.Millennium:
      acc.addYears(val, 1000)
      return acc.fractYears(fval, 1000)
  }
}

/** DecodeInterval; false when the input is not in this format (the caller then tries ISO 8601). */
const decodePostgresStyle = (acc: Accumulator): boolean => {
  const tokens = tokenize(acc.text)
  if (tokens === undefined || tokens.length === 0) return false
  let fmask = 0
  let ago = false
  // The unit for a number with none: seconds, or days left of a time field or an hour.
  let unit: Unit = Unit.Second
  let pendingUnit = false
  // Right to left, so units are seen before their values.
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!
    let tmask = 0
    if (t.kind === Field.Word) {
      if (pendingUnit) return false
      if (t.text === "ago") {
        // PostgreSQL 15 takes "ago" anywhere (later versions only last).
        ago = true
        continue
      }
      const u = UNITS[t.text.slice(0, 10)]
      if (u === undefined) return false
      unit = u
      pendingUnit = true
      continue
    }
    if (t.kind === Field.Time || (t.kind === Field.Signed && t.text.includes(":"))) {
      const signed = t.kind === Field.Signed
      const us = timeFieldMicros(signed ? t.text.slice(1) : t.text, acc)
      if (us === undefined) {
        if (!signed) return false
      } else {
        if (pendingUnit) return false
        acc.addUsec(signed && t.text[0] === "-" ? -us : us)
        tmask = TIME_MASK
        unit = Unit.Day
        if (tmask & fmask) return false
        fmask |= tmask
        continue
      }
    }
    // A number, signed or not, maybe `y-m` or with a fraction.
    const text = t.text
    const intText = INTEGER_PREFIX.exec(text)![0]
    if (!/[0-9]/.test(intText) && text[intText.length] !== ".") return false
    const val = /[0-9]/.test(intText) ? BigInt(intText) : 0n
    const rest = text.slice(intText.length)
    let fval = 0
    let thisUnit = unit
    let v = val
    if (rest.startsWith("-")) {
      if (!/^-[0-9]+$/.test(rest)) return false
      const months = Number(rest.slice(1))
      if (months >= 12) throw acc.overflow()
      v = val * 12n + (text[0] === "-" ? -BigInt(months) : BigInt(months))
      thisUnit = Unit.Month
    } else if (rest.startsWith(".")) {
      if (!/^\.[0-9]*$/.test(rest)) return false
      fval = rest.length === 1 ? 0 : Number("0" + rest)
      if (text[0] === "-") fval = -fval
    } else if (rest.length > 0) {
      return false
    }
    applyUnit(acc, thisUnit, v, fval)
    tmask = thisUnit === Unit.Second && fval !== 0 ? ALL_SECS : bit(thisUnit)
    if (thisUnit === Unit.Hour) unit = Unit.Day
    pendingUnit = false
    if (tmask & fmask) return false
    fmask |= tmask
  }
  if (fmask === 0 || pendingUnit) return false
  if (ago) {
    acc.usec = -acc.usec
    acc.days = -acc.days
    acc.months = -acc.months
    acc.years = -acc.years
  }
  return true
}

// ---- ISO 8601 input (DecodeISO8601Interval) ----

const ISO_NUMBER = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/

/** ParseISO8601Number: integer part truncated toward zero, and the fraction. */
const isoNumber = (s: string, pos: number, acc: Accumulator): { val: bigint; fval: number; end: number; width: number } | undefined => {
  const m = ISO_NUMBER.exec(s.slice(pos))
  if (m === null) return undefined
  const v = Number(m[0])
  if (v !== v || v < -1e15 || v > 1e15) throw acc.overflow()
  const ipart = v >= 0 ? Math.floor(v) : -Math.floor(-v)
  const digits = /^-?([0-9]*)/.exec(m[0])![1]!.length
  return { val: BigInt(ipart), fval: v - ipart, end: pos + m[0].length, width: digits }
}

const decodeIso8601 = (acc: Accumulator): boolean => {
  const s = acc.text.trim()
  if (s.length < 2 || s[0] !== "P") return false
  let pos = 1
  let datePart = true
  let haveField = false
  while (pos < s.length) {
    if (s[pos] === "T") {
      datePart = false
      haveField = false
      pos++
      continue
    }
    const num = isoNumber(s, pos, acc)
    if (num === undefined) return false
    pos = num.end
    const unitChar = pos < s.length ? s[pos++]! : ""
    if (datePart) {
      switch (unitChar) {
        case "Y":
          acc.addYears(num.val, 1)
          acc.fractYears(num.fval, 1)
          break
        case "M":
          acc.addMonths(num.val)
          acc.fractDays(num.fval, DAYS_PER_MONTH)
          break
        case "W":
          acc.addDays(num.val, 7)
          acc.fractDays(num.fval, 7)
          break
        case "D":
          acc.addDays(num.val, 1)
          acc.fractMicros(num.fval, USECS_PER_DAY)
          break
        case "T":
        case "":
        case "-": {
          if (unitChar !== "-" && num.width === 8 && !haveField) {
            // Basic alternative format: YYYYMMDD.
            acc.addYears(num.val / 10000n, 1)
            acc.addMonths((num.val / 100n) % 100n)
            acc.addDays(num.val % 100n, 1)
            acc.fractMicros(num.fval, USECS_PER_DAY)
            if (unitChar === "") return true
            datePart = false
            haveField = false
            continue
          }
          // Extended alternative format: YYYY-MM-DD.
          if (haveField) return false
          acc.addYears(num.val, 1)
          acc.fractYears(num.fval, 1)
          if (unitChar === "") return true
          if (unitChar === "T") {
            datePart = false
            haveField = false
            continue
          }
          const mon = isoNumber(s, pos, acc)
          if (mon === undefined) return false
          pos = mon.end
          acc.addMonths(mon.val)
          acc.fractDays(mon.fval, DAYS_PER_MONTH)
          if (pos >= s.length) return true
          if (s[pos] === "T") {
            pos++
            datePart = false
            haveField = false
            continue
          }
          if (s[pos] !== "-") return false
          pos++
          const day = isoNumber(s, pos, acc)
          if (day === undefined) return false
          pos = day.end
          acc.addDays(day.val, 1)
          acc.fractMicros(day.fval, USECS_PER_DAY)
          if (pos >= s.length) return true
          if (s[pos] === "T") {
            pos++
            datePart = false
            haveField = false
            continue
          }
          return false
        }
        default:
          return false
      }
    } else {
      switch (unitChar) {
        case "H":
          acc.micros(num.val, num.fval, USECS_PER_HOUR)
          break
        case "M":
          acc.micros(num.val, num.fval, USECS_PER_MINUTE)
          break
        case "S":
          acc.micros(num.val, num.fval, USECS_PER_SEC)
          break
        case "":
        case ":": {
          if (unitChar === "" && num.width === 6 && !haveField) {
            // Basic alternative format: hhmmss.
            acc.micros(num.val / 10000n, 0, USECS_PER_HOUR)
            acc.micros((num.val / 100n) % 100n, 0, USECS_PER_MINUTE)
            acc.micros(num.val % 100n, 0, USECS_PER_SEC)
            acc.fractMicros(num.fval, 1)
            return true
          }
          if (haveField) return false
          acc.micros(num.val, num.fval, USECS_PER_HOUR)
          if (unitChar === "") return true
          const mi = isoNumber(s, pos, acc)
          if (mi === undefined) return false
          pos = mi.end
          acc.micros(mi.val, mi.fval, USECS_PER_MINUTE)
          if (pos >= s.length) return true
          if (s[pos] !== ":") return false
          pos++
          const se = isoNumber(s, pos, acc)
          if (se === undefined) return false
          pos = se.end
          acc.micros(se.val, se.fval, USECS_PER_SEC)
          return pos >= s.length
        }
        default:
          return false
      }
    }
    haveField = true
  }
  return true
}

const parseWith = (text: string, fail: Fail): PgInterval => {
  let acc = new Accumulator(fail, text)
  if (decodePostgresStyle(acc)) return acc.result()
  acc = new Accumulator(fail, text)
  if (decodeIso8601(acc)) return acc.result()
  throw fail(`invalid input syntax for type interval: ${preview(text)}`, SQLSTATE_INVALID_DATETIME)
}

const decodeFail: Fail = (reason, sqlState) => textError("interval", reason, sqlState)
const encodeFail: Fail = (reason) => encodeError("interval", reason)

/** The three fields of interval input text (postgres style or ISO 8601). Throws `TypeDecodeError`. */
export const parseInterval = (text: string): PgInterval => parseWith(text, decodeFail)

// ---- output (EncodeInterval, IntervalStyle postgres) ----

const pad2 = (n: bigint): string => (n < 10n ? "0" + n : String(n))

const HOUR_N = BigInt(USECS_PER_HOUR)
const MINUTE_N = BigInt(USECS_PER_MINUTE)
const SEC_N = BigInt(USECS_PER_SEC)

const absN = (v: bigint): bigint => (v < 0n ? -v : v)

/** AddPostgresIntPart: ` [+]N unit[s]`, skipped when 0. */
const addPart = (out: string, value: number, units: string, isZero: boolean, isBefore: boolean): string =>
  out + (isZero ? "" : " ") + (isBefore && value > 0 ? "+" : "") + value + " " + units + (value !== 1 ? "s" : "")

/** PostgreSQL's `postgres`-style text of an interval. */
export const formatInterval = (iv: PgInterval): string => {
  const year = Math.trunc(iv.months / 12)
  const mon = iv.months % 12
  const mday = iv.days
  let time = iv.microseconds
  const hour = time / HOUR_N
  time -= hour * HOUR_N
  const min = time / MINUTE_N
  time -= min * MINUTE_N
  const sec = time / SEC_N
  const fsec = Number(time - sec * SEC_N)
  let out = ""
  // Each nonzero field decides whether the next positive one gets a "+".
  let isZero = true
  let isBefore = false
  if (year !== 0) {
    out = addPart(out, year, "year", isZero, isBefore)
    isBefore = year < 0
    isZero = false
  }
  if (mon !== 0) {
    out = addPart(out, mon, "mon", isZero, isBefore)
    isBefore = mon < 0
    isZero = false
  }
  if (mday !== 0) {
    out = addPart(out, mday, "day", isZero, isBefore)
    isBefore = mday < 0
    isZero = false
  }
  if (isZero || hour !== 0n || min !== 0n || sec !== 0n || fsec !== 0) {
    const minus = hour < 0n || min < 0n || sec < 0n || fsec < 0
    out += (isZero ? "" : " ") + (minus ? "-" : isBefore ? "+" : "") + pad2(absN(hour)) + ":" + pad2(absN(min)) + ":" + pad2(absN(sec))
    if (fsec !== 0) out += formatFraction(Math.abs(fsec))
  }
  return out
}

const isPgInterval = (v: unknown): v is PgInterval =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as PgInterval).months === "number" &&
  typeof (v as PgInterval).days === "number" &&
  typeof (v as PgInterval).microseconds === "bigint"

/** Encoder input: interval text, or the three fields. */
const toInterval = (v: unknown): PgInterval => {
  if (typeof v === "string") return parseWith(v, encodeFail)
  if (isPgInterval(v)) {
    const { months, days, microseconds } = v
    if (!Number.isInteger(months) || months < INT32_MIN || months > INT32_MAX) throw encodeError("interval", `months ${months} out of int32 range`)
    if (!Number.isInteger(days) || days < INT32_MIN || days > INT32_MAX) throw encodeError("interval", `days ${days} out of int32 range`)
    if (microseconds < INT64_MIN || microseconds > INT64_MAX) throw encodeError("interval", `microseconds ${microseconds} out of int64 range`)
    return v
  }
  throw encodeError("interval", `expected interval text or { months, days, microseconds }, got ${typeof v}`)
}

/** interval ↔ string (`1 year 2 mons 3 days 04:05:06.789`). Encoders also take a `PgInterval`. */
export const intervalCodec: TypeCodec<string, string | PgInterval> = {
  oid: Oid.interval,
  arrayOid: Oid._interval,
  name: "interval",
  encodeText: (v) => formatInterval(toInterval(v)),
  decodeText: (s) => formatInterval(parseWith(s, decodeFail)),
  encodeBinary: (w: Writer, v) => {
    const iv = toInterval(v)
    w.int64(iv.microseconds).int32(iv.days).int32(iv.months)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 16) throw binaryError("interval", `expected 16 bytes, got ${end - start}`)
    return formatInterval({
      microseconds: readInt64(buf, start),
      days: readInt32(buf, start + 8),
      months: readInt32(buf, start + 12)
    })
  }
}
