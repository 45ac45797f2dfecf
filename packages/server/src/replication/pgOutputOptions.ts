import { SqlState } from "@pgwire-ts/protocol"
import { Either } from "effect"
import { PgError } from "../errors/PgError.js"

/** The newest pgoutput protocol version we frame (PostgreSQL 16+ speaks 4). */
export const MAX_PGOUTPUT_VERSION = 4

/** START_REPLICATION's options as pgoutput reads them. */
export interface PgOutputOptions {
  readonly protoVersion: 1 | 2 | 3 | 4
  readonly publicationNames: ReadonlyArray<string>
  /** Column values in binary (type send functions) instead of text. */
  readonly binary: boolean
  /** Send logical decoding messages (pg_logical_emit_message). */
  readonly messages: boolean
  /** Stream large in-progress transactions (version 2+; "parallel" needs version 4). */
  readonly streaming: "off" | "on" | "parallel"
  /** Decode two-phase transactions at PREPARE (version 3+). */
  readonly twoPhase: boolean
  /** "none": only changes without a replication origin. */
  readonly origin: "any" | "none"
}

const invalid = (code: string, message: string) => Either.left(PgError.make(code, message))

const TRUE = /^(t|tr|tru|true|y|ye|yes|on|1)$/i
const FALSE = /^(f|fa|fal|fals|false|n|no|of|off|0)$/i

/** PostgreSQL's boolean option reading: a bare option is true. */
const booleanOption = (name: string, value: string | undefined): Either.Either<boolean, PgError> => {
  if (value === undefined || TRUE.test(value.trim())) return Either.right(true)
  if (FALSE.test(value.trim())) return Either.right(false)
  return invalid(SqlState.SyntaxError, `${name} requires a Boolean value`)
}

/**
 * Splits a list of identifiers on commas as PostgreSQL's SplitIdentifierString:
 * unquoted names are folded to lower case, "quoted" ones kept ("" is a quote).
 * None on bad syntax.
 */
export const splitIdentifiers = (raw: string): ReadonlyArray<string> | undefined => {
  const out: Array<string> = []
  let i = 0
  const skipSpace = () => {
    while (i < raw.length && /\s/.test(raw[i]!)) i++
  }
  skipSpace()
  if (i === raw.length) return out
  for (;;) {
    let name = ""
    if (raw[i] === '"') {
      i++
      for (;;) {
        const end = raw.indexOf('"', i)
        if (end < 0) return undefined
        name += raw.slice(i, end)
        i = end + 1
        if (raw[i] !== '"') break
        name += '"'
        i++
      }
      if (name === "") return undefined
    } else {
      const start = i
      while (i < raw.length && raw[i] !== "," && !/\s/.test(raw[i]!)) i++
      if (i === start) return undefined
      name = raw.slice(start, i).toLowerCase()
    }
    out.push(name)
    skipSpace()
    if (i === raw.length) return out
    if (raw[i] !== ",") return undefined
    i++
    skipSpace()
  }
}

/** Reads and checks the options as pgoutput does, with PostgreSQL's SQLSTATEs and messages. */
export const parsePgOutputOptions = (options: ReadonlyMap<string, string | undefined>): Either.Either<PgOutputOptions, PgError> => {
  let protoVersion: number | undefined
  let publicationNames: ReadonlyArray<string> | undefined
  let binary = false
  let messages = false
  let streaming: PgOutputOptions["streaming"] = "off"
  let twoPhase = false
  let origin: PgOutputOptions["origin"] = "any"
  const seen = new Set<string>()
  for (const [name, value] of options) {
    if (seen.has(name)) return invalid(SqlState.SyntaxError, "conflicting or redundant options")
    seen.add(name)
    switch (name) {
      case "proto_version": {
        const text = (value ?? "").trim()
        if (!/^[+-]?\d+$/.test(text)) return invalid(SqlState.InvalidParameterValue, "invalid proto_version")
        const n = Number(text)
        if (n < 0 || n > 0xffffffff) return invalid(SqlState.InvalidParameterValue, `proto_version "${text}" out of range`)
        protoVersion = n
        break
      }
      case "publication_names": {
        const names = splitIdentifiers(value ?? "")
        if (names === undefined) return invalid(SqlState.InvalidName, "invalid publication_names syntax")
        publicationNames = names
        break
      }
      case "binary":
      case "messages":
      case "two_phase": {
        const b = booleanOption(name, value)
        if (Either.isLeft(b)) return Either.left(b.left)
        if (name === "binary") binary = b.right
        else if (name === "messages") messages = b.right
        else twoPhase = b.right
        break
      }
      case "streaming": {
        if (value !== undefined && value.trim().toLowerCase() === "parallel") {
          streaming = "parallel"
          break
        }
        const b = booleanOption(name, value)
        if (Either.isLeft(b)) return invalid(SqlState.InvalidParameterValue, `invalid value for parameter "streaming": "${value ?? ""}"`)
        streaming = b.right ? "on" : "off"
        break
      }
      case "origin": {
        const o = (value ?? "").toLowerCase()
        if (o !== "any" && o !== "none") return invalid(SqlState.InvalidParameterValue, `unrecognized origin value: "${value ?? ""}"`)
        origin = o
        break
      }
      default:
        return invalid(SqlState.InvalidParameterValue, `unrecognized pgoutput option: ${name}`)
    }
  }
  // As PostgreSQL: a missing proto_version reads as 0.
  const version = protoVersion ?? 0
  if (version < 1) {
    return invalid(SqlState.FeatureNotSupported, `client sent proto_version=${version} but we only support protocol 1 or higher`)
  }
  if (version > MAX_PGOUTPUT_VERSION) {
    return invalid(
      SqlState.FeatureNotSupported,
      `client sent proto_version=${version} but we only support protocol ${MAX_PGOUTPUT_VERSION} or lower`
    )
  }
  if (publicationNames === undefined) return invalid(SqlState.InvalidParameterValue, "publication_names parameter missing")
  if (streaming === "on" && version < 2) {
    return invalid(SqlState.InvalidParameterValue, `requested proto_version=${version} does not support streaming, need 2 or higher`)
  }
  if (streaming === "parallel" && version < 4) {
    return invalid(
      SqlState.InvalidParameterValue,
      `requested proto_version=${version} does not support parallel streaming, need 4 or higher`
    )
  }
  if (twoPhase && version < 3) {
    return invalid(
      SqlState.InvalidParameterValue,
      `requested proto_version=${version} does not support two-phase commit, need 3 or higher`
    )
  }
  return Either.right({
    protoVersion: version as PgOutputOptions["protoVersion"],
    publicationNames,
    binary,
    messages,
    streaming,
    twoPhase,
    origin
  })
}
