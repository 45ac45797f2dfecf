// Calendar arithmetic shared by the date/time codecs, following PostgreSQL's
// datetime.c and timestamp.c: Julian day numbers (date2j/j2date, proleptic
// Gregorian, astronomical years where 0 is 1 BC), microseconds since
// 2000-01-01 00:00:00, and the ISO text layout (DateStyle ISO).

export const POSTGRES_EPOCH_JDATE = 2451545
export const UNIX_EPOCH_JDATE = 2440588
export const USECS_PER_DAY = 86400000000
export const USECS_PER_SEC = 1000000

/** Days since 2000-01-01 of a valid date: [4714-11-24 BC, 5874897-12-31]. */
export const DATE_MIN_DAYS = -POSTGRES_EPOCH_JDATE
export const DATE_END_DAYS = 2147483494 - POSTGRES_EPOCH_JDATE
/** Days since 2000-01-01 of a valid timestamp: [4714-11-24 BC, 294277-01-01). */
export const TIMESTAMP_END_DAYS = 109203528 - POSTGRES_EPOCH_JDATE

export const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

export const daysInMonth = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1]!)

/** Julian day of an astronomical year/month/day (date2j). */
export const date2j = (year: number, month: number, day: number): number => {
  let y = year
  let m = month
  if (m > 2) {
    m += 1
    y += 4800
  } else {
    m += 13
    y += 4799
  }
  const century = Math.floor(y / 100)
  let julian = y * 365 - 32167
  julian += Math.floor(y / 4) - century + Math.floor(century / 4)
  julian += Math.floor((7834 * m) / 256) + day
  return julian
}

/** Result of `j2date`, reused across calls (no allocation per value). */
export const ymd = { year: 0, month: 0, day: 0 }

/** Splits a Julian day (>= 0) into `ymd` (j2date). */
export const j2date = (jd: number): void => {
  let julian = jd + 32044
  let quad = Math.floor(julian / 146097)
  const extra = (julian - quad * 146097) * 4 + 3
  julian += 60 + quad * 3 + Math.floor(extra / 146097)
  quad = Math.floor(julian / 1461)
  julian -= quad * 1461
  let y = Math.floor((julian * 4) / 1461)
  julian = (y !== 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123
  y += quad * 4
  ymd.year = y - 4800
  quad = Math.floor((julian * 2141) / 65536)
  ymd.day = julian - Math.floor((7834 * quad) / 256)
  ymd.month = ((quad + 10) % 12) + 1
}

const pad2 = (n: number): string => (n < 10 ? "0" + n : String(n))

/** `YYYY-MM-DD` of an astronomical date, with the year as written (1 BC is 0001); the caller appends " BC". */
export const formatYmd = (year: number, month: number, day: number): string => {
  const y = year > 0 ? year : 1 - year
  const ys = y >= 1000 ? String(y) : y >= 100 ? "0" + y : y >= 10 ? "00" + y : "000" + y
  return ys + "-" + pad2(month) + "-" + pad2(day)
}

/** `.ffffff` with trailing zeros removed, or "" for 0 (AppendSeconds). */
export const formatFraction = (micros: number): string => {
  if (micros === 0) return ""
  let s = String(micros)
  s = "000000".slice(s.length) + s
  let end = 6
  while (s.charCodeAt(end - 1) === 48) end--
  return "." + s.slice(0, end)
}

/** `HH:MM:SS[.ffffff]` of microseconds since midnight (0..24h). */
export const formatTimeOfDay = (tod: number): string => {
  const secs = Math.floor(tod / USECS_PER_SEC)
  const micros = tod - secs * USECS_PER_SEC
  const h = Math.floor(secs / 3600)
  const m = Math.floor((secs - h * 3600) / 60)
  const s = secs - h * 3600 - m * 60
  return pad2(h) + ":" + pad2(m) + ":" + pad2(s) + formatFraction(micros)
}

/** UTC offset as EncodeTimezone writes it: `+HH`, `+HH:MM`, `+HH:MM:SS` (seconds east of UTC). */
export const formatZone = (secondsEast: number): string => {
  const a = Math.abs(secondsEast)
  const h = Math.floor(a / 3600)
  const m = Math.floor((a - h * 3600) / 60)
  const s = a - h * 3600 - m * 60
  let out = (secondsEast < 0 ? "-" : "+") + pad2(h)
  if (m !== 0 || s !== 0) out += ":" + pad2(m)
  if (s !== 0) out += ":" + pad2(s)
  return out
}

/** rint(): round half to even, as PostgreSQL rounds fractional seconds to microseconds. */
export const rint = (x: number): number => {
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Microseconds of a fractional-second digit string (`"5"` → 500000), rounded like ParseFractionalSecond. */
export const parseFraction = (digits: string): number => {
  if (digits.length === 0) return 0
  if (digits.length <= 6) return Number(digits) * 10 ** (6 - digits.length)
  return rint(Number("0." + digits) * USECS_PER_SEC)
}

/** PostgreSQL accepts zone displacements up to ±15:59:59. */
export const MAX_ZONE_SECONDS = 15 * 3600 + 59 * 60 + 59

const ZONE = /^([+-])(\d{1,2})(?::?(\d{2})(?::?(\d{2}))?)?$/

/**
 * Seconds east of UTC of a numeric zone (`+02`, `-05:30`, `+0530`, `+01:02:03`)
 * or `Z`/`UTC`/`GMT`; undefined if `s` is not one, NaN if out of range.
 */
export const parseZone = (s: string): number | undefined => {
  const u = s.toUpperCase()
  if (u === "Z" || u === "UTC" || u === "GMT" || u === "ZULU") return 0
  const m = ZONE.exec(s)
  if (m === null) return undefined
  const h = Number(m[2])
  const mi = m[3] === undefined ? 0 : Number(m[3])
  const se = m[4] === undefined ? 0 : Number(m[4])
  if (mi > 59 || se > 59) return NaN
  const secs = h * 3600 + mi * 60 + se
  if (secs > MAX_ZONE_SECONDS) return NaN
  return m[1] === "-" ? -secs : secs
}

/** Writes a safe-integer int64 without BigInt. */
export const int64Parts = { hi: 0, lo: 0 }
export const splitInt64 = (v: number): void => {
  const hi = Math.floor(v / 4294967296)
  int64Parts.hi = hi
  int64Parts.lo = v - hi * 4294967296
}
