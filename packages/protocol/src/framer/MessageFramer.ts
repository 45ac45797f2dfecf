import { ProtocolDecodeError } from "../errors/ProtocolDecodeError.js"

/** PostgreSQL's own limit for data messages (PQ_LARGE_MESSAGE_LIMIT is 1 GiB - 1). */
export const DEFAULT_MAX_MESSAGE_SIZE = 0x3fffffff
/** PostgreSQL's limit for the untyped startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const DEFAULT_MAX_STARTUP_SIZE = 10_000

export interface FramerOptions {
  /** Largest accepted length word (the length counts itself, not the type byte). */
  readonly maxMessageSize?: number
  /** Largest accepted untyped (startup-phase) packet. */
  readonly maxStartupSize?: number
  /** Whether the first message is untyped (server side: StartupMessage, SSLRequest...). */
  readonly untypedFirst?: boolean
}

/** The type reported for an untyped packet (startup, SSLRequest, CancelRequest, GSSENCRequest). */
export const UNTYPED = 0

/**
 * Incremental framing of a byte stream into whole messages.
 *
 * `push` a chunk, then call `next()` until it returns false; after each true
 * the current message is `type` (its type byte, or UNTYPED), and its body
 * (without type and length) is `buffer[start, end)`. The body is a view into
 * a pushed chunk when the message lies within one chunk; a message that
 * straddles chunks is copied once into a fresh buffer. Pushed chunks are never
 * written to, so a view handed out stays valid as long as the caller keeps it.
 * Throws ProtocolDecodeError for a length below 4 or above the limit; the
 * framer is then unusable (the connection must end).
 */
export class MessageFramer {
  readonly maxMessageSize: number
  readonly maxStartupSize: number
  /** When true, the next message is read without a type byte. The owner sets it. */
  untypedNext: boolean

  type = 0
  buffer: Uint8Array = new Uint8Array(0)
  start = 0
  end = 0

  // The chunk being read and the position in it.
  private chunk: Uint8Array = new Uint8Array(0)
  private pos = 0
  // Chunks of a message that straddles chunk boundaries, and their total size.
  private parts: Array<Uint8Array> = []
  private partsSize = 0
  // The queue of chunks not yet reached.
  private queue: Array<Uint8Array> = []

  constructor(options: FramerOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE
    this.maxStartupSize = options.maxStartupSize ?? DEFAULT_MAX_STARTUP_SIZE
    this.untypedNext = options.untypedFirst ?? false
  }

  /** Bytes received but not yet returned as messages. */
  get buffered(): number {
    let n = this.chunk.byteLength - this.pos + this.partsSize
    for (const q of this.queue) n += q.byteLength
    return n
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    if (this.pos >= this.chunk.byteLength && this.queue.length === 0) {
      this.chunk = chunk
      this.pos = 0
    } else {
      this.queue.push(chunk)
    }
  }

  /** Advances to the next whole message; false when more bytes are needed. */
  next(): boolean {
    const headerSize = this.untypedNext ? 4 : 5
    if (this.pos >= this.chunk.byteLength && this.partsSize === 0 && this.queue.length > 0) {
      this.chunk = this.queue.shift()!
      this.pos = 0
    }
    // Fast path: the whole message is in the current chunk and nothing straddles.
    if (this.partsSize === 0) {
      const c = this.chunk
      const p = this.pos
      const avail = c.byteLength - p
      if (avail >= headerSize) {
        const typeAt = this.untypedNext ? -1 : p
        const lenAt = p + headerSize - 4
        const len = ((c[lenAt]! << 24) | (c[lenAt + 1]! << 16) | (c[lenAt + 2]! << 8) | c[lenAt + 3]!) >>> 0
        this.check(len, typeAt < 0 ? UNTYPED : c[typeAt]!)
        const total = headerSize - 4 + len
        if (avail >= total) {
          this.type = typeAt < 0 ? UNTYPED : c[typeAt]!
          this.buffer = c
          this.start = p + headerSize
          this.end = p + total
          this.pos = p + total
          if (this.untypedNext) this.untypedNext = false
          return true
        }
      }
    }
    return this.slowNext(headerSize)
  }

  private check(len: number, type: number): void {
    if (len < 4) {
      throw new ProtocolDecodeError({ messageName: "frame", reason: `length ${len} is below 4` })
    }
    const max = this.untypedNext ? this.maxStartupSize : this.maxMessageSize
    if (len > max) {
      throw new ProtocolDecodeError({
        messageName: "frame",
        reason: `message${this.untypedNext ? "" : ` '${String.fromCharCode(type)}'`} length ${len} exceeds the limit of ${max} bytes`
      })
    }
  }

  // Gathers a message that straddles chunks: moves bytes into `parts` until the
  // header and then the whole body are there, then joins them once.
  private slowNext(headerSize: number): boolean {
    for (;;) {
      const c = this.chunk
      if (this.pos < c.byteLength) {
        const piece = this.pos === 0 ? c : c.subarray(this.pos)
        this.parts.push(piece)
        this.partsSize += piece.byteLength
        this.pos = c.byteLength
      }
      if (this.partsSize >= headerSize) {
        const head = this.peekParts(headerSize)
        const len = ((head[headerSize - 4]! << 24) | (head[headerSize - 3]! << 16) | (head[headerSize - 2]! << 8) | head[headerSize - 1]!) >>> 0
        const type = this.untypedNext ? UNTYPED : head[0]!
        this.check(len, type)
        const total = headerSize - 4 + len
        if (this.partsSize >= total) return this.emitFromParts(type, headerSize, total)
      }
      const q = this.queue.shift()
      if (q === undefined) return false
      this.chunk = q
      this.pos = 0
    }
  }

  private peekParts(n: number): Uint8Array {
    const first = this.parts[0]!
    if (first.byteLength >= n) return first
    const out = new Uint8Array(n)
    let off = 0
    for (const part of this.parts) {
      const take = Math.min(part.byteLength, n - off)
      out.set(part.subarray(0, take), off)
      off += take
      if (off === n) break
    }
    return out
  }

  // Joins the gathered parts into one message; bytes past it go back in front of the chunk.
  private emitFromParts(type: number, headerSize: number, total: number): boolean {
    const joined = new Uint8Array(total)
    let off = 0
    let leftover: Uint8Array | undefined
    for (const part of this.parts) {
      const take = Math.min(part.byteLength, total - off)
      joined.set(take === part.byteLength ? part : part.subarray(0, take), off)
      off += take
      if (take < part.byteLength) leftover = part.subarray(take)
    }
    this.parts = []
    this.partsSize = 0
    if (leftover !== undefined) {
      // Only the last part (the current chunk's tail) can run past the message.
      this.chunk = leftover
      this.pos = 0
    }
    this.type = type
    this.buffer = joined
    this.start = headerSize
    this.end = total
    if (this.untypedNext) this.untypedNext = false
    return true
  }
}
