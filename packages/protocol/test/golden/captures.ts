// Loading and decoding the golden captures (written by scripts/capture-golden.mjs): each is the
// raw frontend (.fe.bin) and backend (.be.bin) bytes of one real PostgreSQL 15 connection.
import fs from "node:fs"
import { fileURLToPath } from "node:url"
import {
  type AuthContext,
  type BackendMessage,
  BackendMessageStream,
  encodeBackendMessage,
  encodeFrontendMessage,
  type FrontendMessage,
  FrontendMessageStream,
  SSL_REQUEST_CODE,
  Writer
} from "../../src/index.js"

const DIR = fileURLToPath(new URL("./", import.meta.url))

export const CAPTURES = [
  "psql-simple",
  "pg-extended",
  "psycopg-pipeline",
  "postgres-js",
  "scram-login",
  "md5-login",
  "password-login",
  "ssl-refused",
  "negotiate-3.2",
  "cancel-query",
  "cancel-request",
  "replication-create-slot",
  "replication-pgoutput",
  "replication-pgoutput-v2"
] as const
export type CaptureName = (typeof CAPTURES)[number]

export interface Capture {
  readonly name: CaptureName
  readonly fe: Uint8Array
  /** Backend bytes after the one-byte answer to an SSLRequest, if there was one. */
  readonly be: Uint8Array
  /** The byte answered to SSLRequest ('S' or 'N'), which has no message framing. */
  readonly sslAnswer: number | undefined
}

const startsWithSslRequest = (fe: Uint8Array): boolean =>
  fe.byteLength >= 8 && Buffer.from(fe.buffer, fe.byteOffset, fe.byteLength).readUInt32BE(4) === SSL_REQUEST_CODE

export const loadCapture = (name: CaptureName): Capture => {
  const fe = new Uint8Array(fs.readFileSync(`${DIR}${name}.fe.bin`))
  const raw = new Uint8Array(fs.readFileSync(`${DIR}${name}.be.bin`))
  if (startsWithSslRequest(fe)) return { name, fe, be: raw.subarray(1), sslAnswer: raw[0] }
  return { name, fe, be: raw, sslAnswer: undefined }
}

export const loadJson = <A>(name: string): A => JSON.parse(fs.readFileSync(`${DIR}${name}`, "utf8")) as A

/** The sizes in which to feed bytes: one chunk per entry, summing to the whole. */
export type Chunking = ReadonlyArray<number>

const chunksOf = (bytes: Uint8Array, chunking: Chunking | undefined): Array<Uint8Array> => {
  if (chunking === undefined) return [bytes]
  const out: Array<Uint8Array> = []
  let at = 0
  for (const n of chunking) {
    out.push(bytes.subarray(at, at + n))
    at += n
  }
  if (at !== bytes.byteLength) throw new Error(`chunking covers ${at} of ${bytes.byteLength} bytes`)
  return out
}

export interface Decoded<M> {
  readonly messages: Array<M>
  /** Bytes the stream still held at the end: 0 for a capture that decodes completely. */
  readonly leftover: number
}

/**
 * Decodes backend bytes as a client does: push each chunk, take every whole message.
 * Throws what the stream throws (ProtocolDecodeError).
 */
export const decodeBackend = (bytes: Uint8Array, chunking?: Chunking): Decoded<BackendMessage> => {
  const stream = new BackendMessageStream()
  const messages: Array<BackendMessage> = []
  for (const chunk of chunksOf(bytes, chunking)) {
    stream.push(chunk)
    for (let m = stream.next(); m !== undefined; m = stream.next()) messages.push(m)
  }
  return { messages, leftover: stream.buffered }
}

/**
 * What each 'p' message of the frontend is, from the backend's authentication requests:
 * one answer per request (AuthenticationSASLFinal and AuthenticationOk need none).
 */
export const authContextsOf = (backend: ReadonlyArray<BackendMessage>): Array<AuthContext> => {
  const contexts: Array<AuthContext> = []
  for (const m of backend) {
    if (m._tag === "AuthenticationSASL") contexts.push("sasl-initial")
    else if (m._tag === "AuthenticationSASLContinue") contexts.push("sasl")
    else if (m._tag === "AuthenticationMD5Password" || m._tag === "AuthenticationCleartextPassword") contexts.push("password")
    else if (m._tag === "AuthenticationGSS" || m._tag === "AuthenticationGSSContinue") contexts.push("gss")
  }
  return contexts
}

const isAuthResponse = (m: FrontendMessage): boolean =>
  m._tag === "PasswordMessage" || m._tag === "SASLInitialResponse" || m._tag === "SASLResponse" || m._tag === "GSSResponse"

/**
 * Decodes frontend bytes as a server does: untyped startup packets first (another one after
 * an SSLRequest), 'p' messages read per `authContexts` in order.
 */
export const decodeFrontend = (
  bytes: Uint8Array,
  authContexts: ReadonlyArray<AuthContext>,
  chunking?: Chunking
): Decoded<FrontendMessage> => {
  const stream = new FrontendMessageStream()
  const messages: Array<FrontendMessage> = []
  let answered = 0
  for (const chunk of chunksOf(bytes, chunking)) {
    stream.push(chunk)
    for (;;) {
      stream.authContext = authContexts[answered] ?? "password"
      const m = stream.next()
      if (m === undefined) break
      messages.push(m)
      if (isAuthResponse(m)) answered++
      if (m._tag === "SSLRequest" || m._tag === "GSSENCRequest") stream.expectUntyped()
    }
  }
  return { messages, leftover: stream.buffered }
}

export interface DecodedCapture {
  readonly capture: Capture
  readonly fe: Array<FrontendMessage>
  readonly be: Array<BackendMessage>
  readonly authContexts: Array<AuthContext>
}

/** Both directions decoded whole; throws if either has bytes left over. */
export const decodeCapture = (capture: Capture): DecodedCapture => {
  const be = decodeBackend(capture.be)
  if (be.leftover !== 0) throw new Error(`${capture.name}: ${be.leftover} backend bytes left over`)
  const authContexts = authContextsOf(be.messages)
  const fe = decodeFrontend(capture.fe, authContexts)
  if (fe.leftover !== 0) throw new Error(`${capture.name}: ${fe.leftover} frontend bytes left over`)
  return { capture, fe: fe.messages, be: be.messages, authContexts }
}

/**
 * Re-encodes messages one by one and compares each with the bytes at the same place in
 * `original`; returns the first mismatch (index, tag) or undefined when all bytes match.
 */
export const firstReencodeMismatch = <M extends { readonly _tag: string }>(
  original: Uint8Array,
  messages: ReadonlyArray<M>,
  encode: (w: Writer, m: M) => void
): { index: number; tag: string; expected: string; actual: string } | undefined => {
  const w = new Writer(1024)
  let at = 0
  for (let i = 0; i < messages.length; i++) {
    w.reset()
    encode(w, messages[i]!)
    const bytes = w.view()
    const expected = original.subarray(at, at + bytes.byteLength)
    if (!Buffer.from(expected).equals(bytes)) {
      return {
        index: i,
        tag: messages[i]!._tag,
        expected: Buffer.from(original.subarray(at, at + Math.max(bytes.byteLength, 16))).toString("hex"),
        actual: Buffer.from(bytes).toString("hex")
      }
    }
    at += bytes.byteLength
  }
  if (at !== original.byteLength) {
    return { index: messages.length, tag: "(end)", expected: `${original.byteLength} bytes`, actual: `${at} bytes` }
  }
  return undefined
}

export const encodeFrontend = (w: Writer, m: FrontendMessage): void => encodeFrontendMessage(w, m)
export const encodeBackend = (w: Writer, m: BackendMessage): void => encodeBackendMessage(w, m)

/** Structural equality for decoded messages (objects, arrays, bytes, bigints), without a diff. */
export const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false
    return true
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    if (ka.length !== kb.length) return false
    for (const k of ka) {
      if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
    }
    return true
  }
  return false
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing chunking can be replayed by seed. */
export const prng = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Random chunk sizes from 1 to `max` covering `total` bytes. */
export const randomChunking = (total: number, seed: number, max: number): Chunking => {
  const next = prng(seed)
  const sizes: Array<number> = []
  let left = total
  while (left > 0) {
    const n = Math.min(left, 1 + Math.floor(next() * max))
    sizes.push(n)
    left -= n
  }
  return sizes
}

/** Tags in order, runs collapsed: ["Query x3", "RowDescription", ...]. */
export const tagRuns = (messages: ReadonlyArray<{ readonly _tag: string }>): Array<string> => {
  const out: Array<string> = []
  let i = 0
  while (i < messages.length) {
    const tag = messages[i]!._tag
    let j = i
    while (j < messages.length && messages[j]!._tag === tag) j++
    out.push(j - i > 1 ? `${tag} x${j - i}` : tag)
    i = j
  }
  return out
}

export const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString("utf8"))
