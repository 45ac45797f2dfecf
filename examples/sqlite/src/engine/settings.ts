/**
 * Session settings (PostgreSQL GUCs) the engine answers SET/SHOW/RESET and
 * current_setting() with. SQLite has none of them; they exist so drivers'
 * connection setup and `SHOW` work, and the reported ones reach the client as
 * ParameterStatus when they change.
 */

export const defaultSettings: Readonly<Record<string, string>> = {
  application_name: "",
  client_encoding: "UTF8",
  DateStyle: "ISO, MDY",
  default_transaction_isolation: "serializable",
  default_transaction_read_only: "off",
  extra_float_digits: "1",
  in_hot_standby: "off",
  integer_datetimes: "on",
  IntervalStyle: "postgres",
  is_superuser: "off",
  lock_timeout: "0",
  max_identifier_length: "63",
  search_path: "\"$user\", public",
  server_encoding: "UTF8",
  server_version: "16.0",
  server_version_num: "160000",
  standard_conforming_strings: "on",
  statement_timeout: "0",
  TimeZone: "UTC",
  transaction_isolation: "serializable"
}

/** Settings PostgreSQL reports with ParameterStatus when they change (GUC_REPORT). */
const reported = new Set([
  "application_name",
  "client_encoding",
  "DateStyle",
  "default_transaction_read_only",
  "in_hot_standby",
  "integer_datetimes",
  "IntervalStyle",
  "is_superuser",
  "server_encoding",
  "server_version",
  "session_authorization",
  "standard_conforming_strings",
  "TimeZone"
])

/** Settings fixed by the server: SET fails with 55P02 as in PostgreSQL. */
const readOnly = new Set([
  "in_hot_standby",
  "integer_datetimes",
  "is_superuser",
  "max_identifier_length",
  "server_encoding",
  "server_version",
  "server_version_num"
])

const canonicalByLower = new Map(
  [...Object.keys(defaultSettings), ...reported, "session_authorization"].map((n) => [n.toLowerCase(), n])
)

/** GUC names are case-insensitive; known ones keep PostgreSQL's spelling (`DateStyle`). */
export const canonicalName = (name: string): string => canonicalByLower.get(name.toLowerCase()) ?? name.toLowerCase()

export const isReported = (name: string): boolean => reported.has(name)
export const isReadOnly = (name: string): boolean => readOnly.has(name)

/** Client encodings we can honour: the wire is always UTF-8. */
export const normalizeClientEncoding = (value: string): string | undefined =>
  /^(utf-?8|unicode)$/i.test(value.trim()) ? "UTF8" : undefined
