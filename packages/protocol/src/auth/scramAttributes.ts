// Parsing of SCRAM's comma-separated `a=value` attribute lists (RFC 5802 section 7).
import { ScramError } from "./AuthErrors.js"

export interface ScramAttribute {
  readonly name: string
  readonly value: string
  /** Offset of the attribute in the message: the text before it is what precedes it on the wire. */
  readonly offset: number
}

export const protocolError = (reason: string): ScramError => new ScramError({ reason, kind: "protocol" })
export const authError = (reason: string): ScramError => new ScramError({ reason, kind: "auth" })

const ATTRIBUTE = /^([A-Za-z])=/

/** Splits `text` into attributes; throws ScramError("protocol") for an empty or nameless one. */
export const parseAttributes = (text: string, messageName: string): ReadonlyArray<ScramAttribute> => {
  const out: Array<ScramAttribute> = []
  let offset = 0
  for (const part of text.split(",")) {
    const m = ATTRIBUTE.exec(part)
    if (m === null) throw protocolError(`${messageName}: expected an attribute "x=value" at offset ${offset}`)
    out.push({ name: m[1]!, value: part.slice(2), offset })
    offset += part.length + 1
  }
  return out
}

/** Takes the attribute at `index`, which must be named `name`. */
export const expectAttribute = (
  attributes: ReadonlyArray<ScramAttribute>,
  index: number,
  name: string,
  messageName: string
): ScramAttribute => {
  const a = attributes[index]
  if (a === undefined) throw protocolError(`${messageName}: attribute "${name}" is missing`)
  if (a.name !== name) throw protocolError(`${messageName}: expected attribute "${name}" but found "${a.name}"`)
  return a
}

// RFC 5802 printable: %x21-2B / %x2D-7E (any visible ASCII but ",").
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/

export const isScramPrintable = (text: string): boolean => PRINTABLE.test(text)

/** Peer-supplied text quoted in an error reason: printable ASCII only, at most 64 characters. */
export const sanitizeForReason = (text: string): string => {
  const clean = text.replace(/[^\x20-\x7e]/g, "?")
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean
}

/** A message must be one NUL-free string, as PostgreSQL reads it with strlen. */
export const checkNoNul = (text: string, messageName: string): void => {
  if (text.includes("\0")) throw protocolError(`${messageName}: contains a NUL byte`)
  if (text.length === 0) throw protocolError(`${messageName}: empty`)
}

/** The SASL mechanisms of SCRAM that PostgreSQL offers. */
export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS"
export const SCRAM_SHA_256 = "SCRAM-SHA-256" as const
export const SCRAM_SHA_256_PLUS = "SCRAM-SHA-256-PLUS" as const
export const isScramMechanism = (name: string): name is ScramMechanism => name === SCRAM_SHA_256 || name === SCRAM_SHA_256_PLUS

/** The only channel binding type PostgreSQL supports. */
export const TLS_SERVER_END_POINT = "tls-server-end-point"
