/**
 * libpq connection strings: URIs (`postgresql://user:pw@host:5432/db?sslmode=require`)
 * and keyword/value strings (`host=/tmp port=5432 user='a b'`), both turned
 * into ClientOptions. Keywords are libpq's names; an unknown keyword is an
 * error, as in libpq.
 */
import { PgConnectionError } from "../errors.js"
import type { ChannelBinding, ClientOptions, ProtocolVersionName, SslMode, SslNegotiation } from "./ClientConfig.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const configError = (message: string): PgConnectionError => new PgConnectionError({ reason: "Config", message })

const parseNumber = (keyword: string, value: string): number => {
  if (!/^\s*-?\d+\s*$/.test(value)) throw configError(`invalid integer value "${value}" for connection option "${keyword}"`)
  return Number(value)
}

/** Applies one libpq keyword to `out`; throws PgConnectionError for an unknown keyword or a bad value. */
const applyKeyword = (out: Mutable<ClientOptions>, keyword: string, value: string): void => {
  switch (keyword) {
    case "host":
    case "hostaddr":
      if (value.includes(",")) throw configError("multiple hosts are not supported")
      out.host = value
      return
    case "port":
      if (value.includes(",")) throw configError("multiple ports are not supported")
      out.port = parseNumber(keyword, value)
      return
    case "dbname":
      out.database = value
      return
    case "user":
      out.user = value
      return
    case "password":
      out.password = value
      return
    case "application_name":
      out.applicationName = value
      return
    case "fallback_application_name":
      out.applicationName ??= value
      return
    case "sslmode":
      out.sslmode = value as SslMode
      return
    case "sslnegotiation":
      out.sslnegotiation = value as SslNegotiation
      return
    case "sslrootcert":
      out.sslrootcert = value
      return
    case "sslcert":
      out.sslcert = value
      return
    case "sslkey":
      out.sslkey = value
      return
    case "channel_binding":
      out.channelBinding = value as ChannelBinding
      return
    case "require_auth":
      out.requireAuth = value
      return
    case "max_protocol_version":
      out.maxProtocolVersion = value as ProtocolVersionName | "latest"
      return
    case "min_protocol_version":
      out.minProtocolVersion = value as ProtocolVersionName
      return
    case "connect_timeout": {
      // libpq counts seconds; 0 (or negative) waits forever.
      const seconds = parseNumber(keyword, value)
      out.connectTimeoutMs = seconds <= 0 ? 0 : seconds * 1000
      return
    }
    case "options":
      out.options = value
      return
    case "client_encoding":
      if (value.toUpperCase() !== "UTF8" && value.toUpperCase() !== "UTF-8") {
        throw configError(`client_encoding "${value}" is not supported: this client speaks UTF8 only`)
      }
      return
    default:
      throw configError(`invalid connection option "${keyword}"`)
  }
}

const decode = (s: string, what: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    throw configError(`invalid percent-encoding in the ${what} of the connection URI`)
  }
}

const URI = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?(?:\/([^?#]*))?(?:\?([^#]*))?(?:#.*)?$/

/** `postgres://` or `postgresql://` URI. */
export const parseConnectionUri = (uri: string): ClientOptions => {
  const m = URI.exec(uri)
  if (m === null) throw configError("invalid connection URI")
  const [, userinfo, rawHost, rawPort, rawDb, rawQuery] = m
  const out: Mutable<ClientOptions> = {}
  if (userinfo !== undefined && userinfo !== "") {
    const colon = userinfo.indexOf(":")
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), "user")
    if (user !== "") out.user = user
    if (colon >= 0) out.password = decode(userinfo.slice(colon + 1), "password")
  }
  if (rawHost !== undefined && rawHost !== "") {
    const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : decode(rawHost, "host")
    applyKeyword(out, "host", host)
  }
  if (rawPort !== undefined && rawPort !== "") applyKeyword(out, "port", rawPort)
  if (rawDb !== undefined && rawDb !== "") out.database = decode(rawDb, "database")
  if (rawQuery !== undefined && rawQuery !== "") {
    for (const pair of rawQuery.split("&")) {
      if (pair === "") continue
      const eq = pair.indexOf("=")
      if (eq < 0) throw configError(`missing "=" after "${pair}" in the connection URI query`)
      applyKeyword(out, decode(pair.slice(0, eq), "query"), decode(pair.slice(eq + 1), "query"))
    }
  }
  return out
}

/** `keyword=value` pairs separated by spaces; values may be single-quoted with \' and \\ escapes. */
export const parseKeywordValue = (s: string): ClientOptions => {
  const out: Mutable<ClientOptions> = {}
  let i = 0
  const n = s.length
  const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v"
  while (i < n) {
    while (i < n && isSpace(s[i])) i++
    if (i >= n) break
    const keyStart = i
    while (i < n && s[i] !== "=" && !isSpace(s[i])) i++
    const keyword = s.slice(keyStart, i)
    while (i < n && isSpace(s[i])) i++
    if (s[i] !== "=") throw configError(`missing "=" after "${keyword}" in connection info string`)
    i++
    while (i < n && isSpace(s[i])) i++
    let value = ""
    if (s[i] === "'") {
      i++
      let closed = false
      while (i < n) {
        const c = s[i]!
        if (c === "\\" && i + 1 < n) {
          value += s[i + 1]
          i += 2
        } else if (c === "'") {
          i++
          closed = true
          break
        } else {
          value += c
          i++
        }
      }
      if (!closed) throw configError("unterminated quoted string in connection info string")
    } else {
      while (i < n && !isSpace(s[i])) {
        if (s[i] === "\\" && i + 1 < n) {
          value += s[i + 1]
          i += 2
        } else {
          value += s[i]
          i++
        }
      }
    }
    applyKeyword(out, keyword, value)
  }
  return out
}

/** A URI or a keyword/value string, told apart as libpq does (by the scheme prefix). */
export const parseConnectionString = (s: string): ClientOptions =>
  /^postgres(?:ql)?:\/\//.test(s) ? parseConnectionUri(s) : parseKeywordValue(s)
