import type { Writer } from "../buffer/Writer.js"
import { readInt32, readInt64, readUint32 } from "./binary.js"
import {
  DATE_END_DAYS,
  DATE_MIN_DAYS,
  date2j,
  daysInMonth,
  formatTimeOfDay,
  formatYmd,
  formatZone,
  int64Parts,
  j2date,
  parseFraction,
  parseZone,
  POSTGRES_EPOCH_JDATE,
  splitInt64,
  TIMESTAMP_END_DAYS,
  UNIX_EPOCH_JDATE,
  USECS_PER_DAY,
  USECS_PER_SEC,
  ymd
} from "./calendar.js"
import { Oid } from "./oids.js"
import {
  binaryError,
  encodeError,
  preview,
  SQLSTATE_DATETIME_OVERFLOW,
  SQLSTATE_INVALID_DATETIME,
  SQLSTATE_OUT_OF_RANGE,
  SQLSTATE_ZONE_DISPLACEMENT,
  textError,
  type TypeDecodeError,
  type TypeEncodeError
} from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// date, time, timetz, timestamp and timestamptz values are strings in
// PostgreSQL's own output form with DateStyle ISO:
//   date         2024-02-29, 0044-03-15 BC, infinity, -infinity
//   time         13:45:00, 13:45:00.123456 (trailing fraction zeros dropped)
//   timetz       13:45:00+02, 13:45:00-05:30
//   timestamp    2024-02-29 13:45:00.5, 0044-03-15 12:00:00 BC, ±infinity
//   timestamptz  2024-02-29 11:45:00.5+00: always rendered in UTC
// so the text form decodes almost unchanged and the binary form (int32 days /
// int64 microseconds since 2000-01-01) is formatted to the same string.
// Text input takes the ISO forms (`T` or space between date and time, a
// fraction of any length, a zone `Z`/`+HH`/`+HH:MM`/`+HHMM`/`+HH:MM:SS`, `BC`/`AD`),
// `infinity`, `-infinity` and `epoch`; not other DateStyles or month names.
// A timestamptz without a zone is taken as UTC (PostgreSQL would use the
// session's TimeZone). A zone on a date, time or timestamp is ignored, as
// PostgreSQL does. Encoders also take a JS `Date` for date, timestamp
// (its UTC fields) and timestamptz.

type Fail = (reason: string, sqlState?: string) => TypeDecodeError | TypeEncodeError

// The result of the last parse, reused across calls.
const parsed = {
  /** Days since 2000-01-01. */
  days: 0,
  /** Microseconds since midnight. */
  tod: 0,
  /** Zone given in the input, seconds east of UTC; NaN if none. */
  zone: NaN,
  /** +1 infinity, -1 -infinity, 0 a finite value. */
  infinite: 0
}

const DATE_TIME =
  /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})(\s+(?:BC|AD)\b)?(?:(?:[Tt]|\s+)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?)?(.*)$/is
const TIME = /^\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?(.*)$/s
const TRAILER = /^\s*(?:(BC|AD)\b|([+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?|Z\b|UTC\b|GMT\b))/i

/** Reads the trailing `BC`/`AD` and zone tokens; returns whether BC was given. */
const parseTrailer = (rest: string, fail: Fail, text: string): boolean => {
  let bc = false
  let s = rest
  while (s.length > 0) {
    if (/^\s*$/.test(s)) break
    const m = TRAILER.exec(s)
    if (m === null) throw fail(`invalid input syntax: ${preview(text)}`, SQLSTATE_INVALID_DATETIME)
    if (m[1] !== undefined) {
      bc = m[1].toUpperCase() === "BC"
    } else {
      const z = parseZone(m[2]!)
      if (z === undefined || z !== z) throw fail(`time zone displacement out of range: ${preview(text)}`, SQLSTATE_ZONE_DISPLACEMENT)
      parsed.zone = z
    }
    s = s.slice(m[0].length)
  }
  return bc
}

/** Microseconds since midnight of h:m:s.frac; hour 24 only as 24:00:00. */
const timeOfDay = (h: string, mi: string, se: string | undefined, frac: string | undefined, fail: Fail, text: string): number => {
  const hour = Number(h)
  const minute = Number(mi)
  const second = se === undefined ? 0 : Number(se)
  const micros = frac === undefined ? 0 : parseFraction(frac)
  if (hour > 24 || minute > 59 || second > 60 || (hour === 24 && (minute > 0 || second > 0 || micros > 0))) {
    throw fail(`date/time field value out of range: ${preview(text)}`, SQLSTATE_DATETIME_OVERFLOW)
  }
  return ((hour * 60 + minute) * 60 + second) * USECS_PER_SEC + micros
}

const special = (text: string): number | "epoch" | undefined => {
  switch (text.trim().toLowerCase()) {
    case "infinity":
      return 1
    case "-infinity":
      return -1
    case "epoch":
      return "epoch"
  }
  return undefined
}

const EPOCH_DAYS = UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE

/**
 * Parses an ISO date or timestamp into `parsed` (zone applied when `applyZone`).
 * `endDays` is the first day out of range for the type.
 */
const parseDateTime = (text: string, fail: Fail, applyZone: boolean, endDays: number): void => {
  parsed.zone = NaN
  parsed.infinite = 0
  parsed.tod = 0
  const sp = special(text)
  if (sp !== undefined) {
    if (sp === "epoch") parsed.days = EPOCH_DAYS
    else parsed.infinite = sp
    return
  }
  const m = DATE_TIME.exec(text)
  if (m === null) throw fail(`invalid input syntax: ${preview(text)}`, SQLSTATE_INVALID_DATETIME)
  // BC/AD may come right after the date or at the end.
  const bc = parseTrailer(m[9]!, fail, text) || (m[4] !== undefined && m[4].trim().toUpperCase() === "BC")
  const yearAsWritten = m[1]!.length > 9 ? Infinity : Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (yearAsWritten === 0 || month < 1 || month > 12 || day < 1) {
    throw fail(`date/time field value out of range: ${preview(text)}`, SQLSTATE_DATETIME_OVERFLOW)
  }
  const year = bc ? 1 - yearAsWritten : yearAsWritten
  if (year < -4713 || year > 5874897) throw fail(`date out of range: ${preview(text)}`, SQLSTATE_DATETIME_OVERFLOW)
  if (day > daysInMonth(year, month)) {
    throw fail(`date/time field value out of range: ${preview(text)}`, SQLSTATE_DATETIME_OVERFLOW)
  }
  let days = date2j(year, month, day) - POSTGRES_EPOCH_JDATE
  let tod = 0
  if (m[5] !== undefined) tod = timeOfDay(m[5], m[6]!, m[7], m[8], fail, text)
  if (applyZone && parsed.zone === parsed.zone) tod -= parsed.zone * USECS_PER_SEC
  if (tod < 0 || tod >= USECS_PER_DAY) {
    const shift = Math.floor(tod / USECS_PER_DAY)
    days += shift
    tod -= shift * USECS_PER_DAY
  }
  if (days < DATE_MIN_DAYS || days >= endDays) {
    throw fail(`${endDays === DATE_END_DAYS ? "date" : "timestamp"} out of range: ${preview(text)}`, SQLSTATE_DATETIME_OVERFLOW)
  }
  parsed.days = days
  parsed.tod = tod
}

// PostgreSQL's own output is by far the most common text input: recognise
// it with one regex and range checks, and return it unchanged.
const TIMESTAMP_CANONICAL = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d{0,5}[1-9])?(\+00)?( BC)?$/
const DATE_CANONICAL = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/
const TIME_CANONICAL = /^(\d\d):(\d\d):(\d\d)(?:\.\d{0,5}[1-9])?$/

/** Whether year/month/day as written (BC or not) is a valid date no later than maxYear AD. */
const validWrittenDate = (yearText: string, monthText: string, dayText: string, bc: boolean, maxYear: number): boolean => {
  if (yearText.length > 4 && yearText.charCodeAt(0) === 48) return false
  const y = Number(yearText)
  const month = Number(monthText)
  const day = Number(dayText)
  if (y === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(bc ? 1 - y : y, month)) return false
  if (bc) return y < 4714 || (y === 4714 && (month === 12 || (month === 11 && day >= 24)))
  return y <= maxYear
}

const isCanonicalTimestamp = (text: string, utc: boolean): boolean => {
  const m = TIMESTAMP_CANONICAL.exec(text)
  return (
    m !== null &&
    (m[7] !== undefined) === utc &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6]) <= 59 &&
    validWrittenDate(m[1]!, m[2]!, m[3]!, m[8] !== undefined, 294276)
  )
}

const isCanonicalDate = (text: string): boolean => {
  const m = DATE_CANONICAL.exec(text)
  return m !== null && validWrittenDate(m[1]!, m[2]!, m[3]!, m[4] !== undefined, 5874897)
}

const isCanonicalTime = (text: string): boolean => {
  const m = TIME_CANONICAL.exec(text)
  return m !== null && Number(m[1]) <= 23 && Number(m[2]) <= 59 && Number(m[3]) <= 59
}

const formatDays = (days: number): string => {
  j2date(days + POSTGRES_EPOCH_JDATE)
  const s = formatYmd(ymd.year, ymd.month, ymd.day)
  return ymd.year <= 0 ? s + " BC" : s
}

const formatTimestamp = (days: number, tod: number, utcSuffix: boolean): string => {
  j2date(days + POSTGRES_EPOCH_JDATE)
  let s = formatYmd(ymd.year, ymd.month, ymd.day) + " " + formatTimeOfDay(tod)
  if (utcSuffix) s += "+00"
  return ymd.year <= 0 ? s + " BC" : s
}

const MS_PER_DAY = 86400000

/** Sets `parsed` from a JS Date (its UTC instant). */
const fromJsDate = (d: Date, fail: Fail, endDays: number): void => {
  const ms = d.getTime()
  if (ms !== ms) throw fail("invalid Date")
  const dayFromUnix = Math.floor(ms / MS_PER_DAY)
  parsed.days = dayFromUnix + EPOCH_DAYS
  parsed.tod = (ms - dayFromUnix * MS_PER_DAY) * 1000
  parsed.zone = NaN
  parsed.infinite = 0
  if (parsed.days < DATE_MIN_DAYS || parsed.days >= endDays) throw fail("Date out of range", SQLSTATE_DATETIME_OVERFLOW)
}

const decodeFail = (typeName: string): Fail => (reason, sqlState) => textError(typeName, reason, sqlState)
const encodeFail = (typeName: string): Fail => (reason) => encodeError(typeName, reason)

// One failure constructor per type and direction, made once.
const fails = {
  date: [decodeFail("date"), encodeFail("date")],
  time: [decodeFail("time"), encodeFail("time")],
  timetz: [decodeFail("timetz"), encodeFail("timetz")],
  timestamp: [decodeFail("timestamp"), encodeFail("timestamp")],
  timestamptz: [decodeFail("timestamptz"), encodeFail("timestamptz")]
} as const

/** Parses encoder input (a string or a Date) for a date or timestamp type into `parsed`. */
const parseInput = (v: unknown, typeName: "date" | "timestamp" | "timestamptz"): void => {
  const fail = fails[typeName][1]
  const endDays = typeName === "date" ? DATE_END_DAYS : TIMESTAMP_END_DAYS
  if (typeof v === "string") parseDateTime(v, fail, typeName === "timestamptz", endDays)
  else if (v instanceof Date) fromJsDate(v, fail, endDays)
  else throw fail(`expected a string or a Date, got ${typeof v}`)
  if (typeName === "date") parsed.tod = 0
}

// ---- date ----

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

const dateText = (): string =>
  parsed.infinite > 0 ? "infinity" : parsed.infinite < 0 ? "-infinity" : formatDays(parsed.days)

/** date ↔ string (`2024-02-29`, `0044-03-15 BC`, `±infinity`). Binary: int32 days since 2000-01-01. */
export const dateCodec: TypeCodec<string, string | Date> = {
  oid: Oid.date,
  arrayOid: Oid._date,
  name: "date",
  encodeText: (v) => {
    parseInput(v, "date")
    return dateText()
  },
  decodeText: (s) => {
    if (isCanonicalDate(s)) return s
    parseDateTime(s, fails.date[0], false, DATE_END_DAYS)
    return dateText()
  },
  encodeBinary: (w: Writer, v) => {
    parseInput(v, "date")
    w.int32(parsed.infinite > 0 ? INT32_MAX : parsed.infinite < 0 ? INT32_MIN : parsed.days)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 4) throw binaryError("date", `expected 4 bytes, got ${end - start}`)
    const days = readInt32(buf, start)
    if (days === INT32_MAX) return "infinity"
    if (days === INT32_MIN) return "-infinity"
    if (days < DATE_MIN_DAYS || days >= DATE_END_DAYS) throw binaryError("date", "date out of range", SQLSTATE_DATETIME_OVERFLOW)
    return formatDays(days)
  }
}

// ---- timestamp, timestamptz ----

const timestampText = (utc: boolean): string =>
  parsed.infinite > 0 ? "infinity" : parsed.infinite < 0 ? "-infinity" : formatTimestamp(parsed.days, parsed.tod, utc)

/** Writes `parsed` as int64 microseconds since 2000-01-01 (int64 min/max for ∓infinity). */
const writeTimestamp = (w: Writer): void => {
  if (parsed.infinite !== 0) {
    if (parsed.infinite > 0) w.int32(0x7fffffff).int32(-1)
    else w.int32(INT32_MIN).int32(0)
    return
  }
  const days = parsed.days
  // Within ±285 years of 2000 the microsecond count is a safe integer.
  if (days > -104000 && days < 104000) {
    splitInt64(days * USECS_PER_DAY + parsed.tod)
    w.int32(int64Parts.hi).uint32(int64Parts.lo)
  } else {
    w.int64(BigInt(days) * BigInt(USECS_PER_DAY) + BigInt(parsed.tod))
  }
}

const USECS_PER_DAY_N = BigInt(USECS_PER_DAY)

/** Reads int64 microseconds since 2000-01-01 into `parsed`; false if the bytes are not a valid timestamp. */
const readTimestamp = (buf: Uint8Array, p: number): boolean => {
  const hi = readInt32(buf, p)
  const lo = readUint32(buf, p + 4)
  parsed.infinite = 0
  if (hi === 0x7fffffff && lo === 0xffffffff) {
    parsed.infinite = 1
    return true
  }
  if (hi === INT32_MIN && lo === 0) {
    parsed.infinite = -1
    return true
  }
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * 4294967296 + lo
    const days = Math.floor(v / USECS_PER_DAY)
    parsed.days = days
    parsed.tod = v - days * USECS_PER_DAY
  } else {
    const v = readInt64(buf, p)
    let days = v / USECS_PER_DAY_N
    if (v < 0n && days * USECS_PER_DAY_N !== v) days -= 1n
    parsed.days = Number(days)
    parsed.tod = Number(v - days * USECS_PER_DAY_N)
  }
  return parsed.days >= DATE_MIN_DAYS && parsed.days < TIMESTAMP_END_DAYS
}

const makeTimestampCodec = (name: "timestamp" | "timestamptz", utc: boolean): TypeCodec<string, string | Date> => ({
  oid: utc ? Oid.timestamptz : Oid.timestamp,
  arrayOid: utc ? Oid._timestamptz : Oid._timestamp,
  name,
  encodeText: (v) => {
    parseInput(v, name)
    return timestampText(utc)
  },
  decodeText: (s) => {
    if (isCanonicalTimestamp(s, utc)) return s
    parseDateTime(s, fails[name][0], utc, TIMESTAMP_END_DAYS)
    return timestampText(utc)
  },
  encodeBinary: (w: Writer, v) => {
    parseInput(v, name)
    writeTimestamp(w)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 8) throw binaryError(name, `expected 8 bytes, got ${end - start}`)
    if (!readTimestamp(buf, start)) throw binaryError(name, "timestamp out of range", SQLSTATE_DATETIME_OVERFLOW)
    return timestampText(utc)
  }
})

/** timestamp ↔ string (`2024-02-29 13:45:00.5`). Binary: int64 µs since 2000-01-01; a Date encodes as its UTC fields. */
export const timestampCodec = makeTimestampCodec("timestamp", false)
/** timestamptz ↔ string rendered in UTC (`2024-02-29 11:45:00.5+00`). Binary: int64 µs since 2000-01-01 UTC. */
export const timestamptzCodec = makeTimestampCodec("timestamptz", true)

// ---- time, timetz ----

/** Parses `HH:MM[:SS[.f]]` (plus a zone) into `parsed.tod` / `parsed.zone`. */
const parseTime = (text: string, fail: Fail): void => {
  parsed.zone = NaN
  parsed.infinite = 0
  if (text.trim().toLowerCase() === "allballs") {
    parsed.tod = 0
    return
  }
  const m = TIME.exec(text)
  if (m === null) throw fail(`invalid input syntax: ${preview(text)}`, SQLSTATE_INVALID_DATETIME)
  const bc = parseTrailer(m[5]!, fail, text)
  if (bc) throw fail(`invalid input syntax: ${preview(text)}`, SQLSTATE_INVALID_DATETIME)
  const tod = timeOfDay(m[1]!, m[2]!, m[3], m[4], fail, text)
  if (tod > USECS_PER_DAY) throw fail(`time out of range: ${preview(text)}`, SQLSTATE_DATETIME_OVERFLOW)
  parsed.tod = tod
}

const checkTimeString = (typeName: "time" | "timetz", v: unknown): string => {
  if (typeof v !== "string") throw encodeError(typeName, `expected a string, got ${typeof v}`)
  return v
}

/** time ↔ string (`13:45:00.25`, `24:00:00`). Binary: int64 µs since midnight. */
export const timeCodec: TypeCodec<string> = {
  oid: Oid.time,
  arrayOid: Oid._time,
  name: "time",
  encodeText: (v) => {
    parseTime(checkTimeString("time", v), fails.time[1])
    return formatTimeOfDay(parsed.tod)
  },
  decodeText: (s) => {
    if (isCanonicalTime(s)) return s
    parseTime(s, fails.time[0])
    return formatTimeOfDay(parsed.tod)
  },
  encodeBinary: (w: Writer, v) => {
    parseTime(checkTimeString("time", v), fails.time[1])
    splitInt64(parsed.tod)
    w.int32(int64Parts.hi).uint32(int64Parts.lo)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 8) throw binaryError("time", `expected 8 bytes, got ${end - start}`)
    const hi = readInt32(buf, start)
    const tod = hi * 4294967296 + readUint32(buf, start + 4)
    if (hi < 0 || tod > USECS_PER_DAY) throw binaryError("time", "time out of range", SQLSTATE_DATETIME_OVERFLOW)
    return formatTimeOfDay(tod)
  }
}

/** timetz_recv accepts zones within ±16 hours. */
const TZ_BINARY_LIMIT = 16 * 3600

/** timetz ↔ string (`13:45:00+02`, `09:00:00-05:30`); no zone in the input means UTC. Binary: int64 µs, int32 seconds west of UTC. */
export const timetzCodec: TypeCodec<string> = {
  oid: Oid.timetz,
  arrayOid: Oid._timetz,
  name: "timetz",
  encodeText: (v) => {
    parseTime(checkTimeString("timetz", v), fails.timetz[1])
    return formatTimeOfDay(parsed.tod) + formatZone(parsed.zone === parsed.zone ? parsed.zone : 0)
  },
  decodeText: (s) => {
    parseTime(s, fails.timetz[0])
    return formatTimeOfDay(parsed.tod) + formatZone(parsed.zone === parsed.zone ? parsed.zone : 0)
  },
  encodeBinary: (w: Writer, v) => {
    parseTime(checkTimeString("timetz", v), fails.timetz[1])
    splitInt64(parsed.tod)
    w.int32(int64Parts.hi).uint32(int64Parts.lo)
    w.int32(parsed.zone === parsed.zone && parsed.zone !== 0 ? -parsed.zone : 0)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 12) throw binaryError("timetz", `expected 12 bytes, got ${end - start}`)
    const hi = readInt32(buf, start)
    const tod = hi * 4294967296 + readUint32(buf, start + 4)
    const west = readInt32(buf, start + 8)
    if (hi < 0 || tod > USECS_PER_DAY) throw binaryError("timetz", "time out of range", SQLSTATE_DATETIME_OVERFLOW)
    if (west < -TZ_BINARY_LIMIT || west > TZ_BINARY_LIMIT) {
      throw binaryError("timetz", "time zone displacement out of range", SQLSTATE_DATETIME_OVERFLOW)
    }
    return formatTimeOfDay(tod) + formatZone(west === 0 ? 0 : -west)
  }
}

// ---- helpers for JS Dates and microsecond counts ----

const helperFail = decodeFail("timestamptz")

/**
 * A JS Date for a timestamp/timestamptz/date string (any input form the codecs
 * take; a value without a zone is read as UTC). Sub-millisecond digits are
 * truncated. Throws `TypeDecodeError` for ±infinity, which a Date cannot hold.
 */
export const timestampTextToDate = (text: string): Date => {
  parseDateTime(text, helperFail, true, TIMESTAMP_END_DAYS)
  if (parsed.infinite !== 0) throw helperFail(`${text.trim()} has no JS Date`, SQLSTATE_OUT_OF_RANGE)
  const ms = (parsed.days - EPOCH_DAYS) * MS_PER_DAY + Math.floor(parsed.tod / 1000)
  if (Math.abs(ms) > 8.64e15) throw helperFail(`${preview(text)} is outside the JS Date range`, SQLSTATE_OUT_OF_RANGE)
  return new Date(ms)
}

/** The timestamptz text (`2024-02-29 11:45:00.5+00`) of a JS Date. */
export const dateToTimestampText = (d: Date): string => timestamptzCodec.encodeText(d)

/** A JS Date at UTC midnight of a date string (`2024-02-29`). */
export const dateTextToDate = (text: string): Date => timestampTextToDate(text)

/** The date text (`2024-02-29`) of a JS Date's UTC day. */
export const dateToDateText = (d: Date): string => dateCodec.encodeText(d)

/** Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's binary timestamp) of a timestamp/timestamptz string. */
export const timestampTextToMicros = (text: string): bigint => {
  parseDateTime(text, helperFail, true, TIMESTAMP_END_DAYS)
  if (parsed.infinite > 0) return 2n ** 63n - 1n
  if (parsed.infinite < 0) return -(2n ** 63n)
  return BigInt(parsed.days) * USECS_PER_DAY_N + BigInt(parsed.tod)
}

/** The timestamptz (or, with `withZone: false`, timestamp) text of microseconds since 2000-01-01 UTC. */
export const microsToTimestampText = (micros: bigint, withZone = true): string => {
  const name = withZone ? "timestamptz" : "timestamp"
  if (micros === 2n ** 63n - 1n) return "infinity"
  if (micros === -(2n ** 63n)) return "-infinity"
  let days = micros / USECS_PER_DAY_N
  if (micros < 0n && days * USECS_PER_DAY_N !== micros) days -= 1n
  if (days < BigInt(DATE_MIN_DAYS) || days >= BigInt(TIMESTAMP_END_DAYS)) {
    throw encodeError(name, `${micros} µs is out of the timestamp range`)
  }
  return formatTimestamp(Number(days), Number(micros - days * USECS_PER_DAY_N), withZone)
}
