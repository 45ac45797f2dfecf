/**
 * A cursor over one message body. Every read is bounds-checked against `end`
 * and throws `ReadPastEnd` (a plain error, cheap to construct) instead of a
 * RangeError; the message decoders catch it and turn it into a typed
 * `ProtocolDecodeError` that names the message.
 */
export class ReadPastEnd extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

export class Reader {
  readonly buf: Buffer
  /** Current position, an absolute index into `buf`. */
  pos: number
  /** One past the last readable byte, an absolute index into `buf`. */
  end: number

  constructor(bytes: Uint8Array, start = 0, end = bytes.byteLength) {
    this.buf = asBuffer(bytes)
    this.pos = start
    this.end = end
  }

  /** Re-targets this reader at another range without allocating. */
  reset(bytes: Uint8Array, start: number, end: number): this {
    // Consecutive messages mostly come from the same chunk: skip the Buffer check then.
    if (bytes !== this.buf) (this as { buf: Buffer }).buf = asBuffer(bytes)
    this.pos = start
    this.end = end
    return this
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ReadPastEnd(`${what}: needs ${n} bytes, ${this.end - this.pos} left`)
    }
  }

  int8(): number {
    this.need(1, "int8")
    const v = this.buf[this.pos]!
    this.pos += 1
    return (v << 24) >> 24
  }

  uint8(): number {
    this.need(1, "uint8")
    return this.buf[this.pos++]!
  }

  int16(): number {
    this.need(2, "int16")
    const b = this.buf
    const p = this.pos
    this.pos = p + 2
    return (((b[p]! << 8) | b[p + 1]!) << 16) >> 16
  }

  uint16(): number {
    this.need(2, "uint16")
    const b = this.buf
    const p = this.pos
    this.pos = p + 2
    return (b[p]! << 8) | b[p + 1]!
  }

  int32(): number {
    this.need(4, "int32")
    const b = this.buf
    const p = this.pos
    this.pos = p + 4
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }

  uint32(): number {
    return this.int32() >>> 0
  }

  int64(): bigint {
    this.need(8, "int64")
    const v = this.buf.readBigInt64BE(this.pos)
    this.pos += 8
    return v
  }

  uint64(): bigint {
    this.need(8, "uint64")
    const v = this.buf.readBigUInt64BE(this.pos)
    this.pos += 8
    return v
  }

  float32(): number {
    this.need(4, "float32")
    const v = this.buf.readFloatBE(this.pos)
    this.pos += 4
    return v
  }

  float64(): number {
    this.need(8, "float64")
    const v = this.buf.readDoubleBE(this.pos)
    this.pos += 8
    return v
  }

  /** A NUL-terminated UTF-8 string; fails if no terminator before `end`. */
  cstring(): string {
    const b = this.buf
    const start = this.pos
    const nul = b.indexOf(0, start)
    if (nul < 0 || nul >= this.end) throw new ReadPastEnd("cstring: no terminator")
    this.pos = nul + 1
    return b.toString("utf8", start, nul)
  }

  /** `n` raw bytes as a view into the input (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n, "bytes")
    const p = this.pos
    this.pos = p + n
    return this.buf.subarray(p, p + n)
  }

  /** `n` bytes as a fresh copy the caller may keep after the input is reused. */
  bytesCopy(n: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.bytes(n))
  }

  /** `n` bytes decoded as UTF-8. */
  string(n: number): string {
    this.need(n, "string")
    const p = this.pos
    this.pos = p + n
    return this.buf.toString("utf8", p, p + n)
  }

  /** Everything up to `end` as a view. */
  rest(): Uint8Array {
    const p = this.pos
    this.pos = this.end
    return this.buf.subarray(p, this.end)
  }

  /** A count read as an unsigned 16-bit number that must fit in the bytes left at `minBytesEach` per item. */
  count16(minBytesEach: number, what: string): number {
    const n = this.uint16()
    if (n * minBytesEach > this.end - this.pos) {
      throw new ReadPastEnd(`${what}: count ${n} runs past the message`)
    }
    return n
  }

  /** A signed 32-bit count (or length) that must be >= 0 and fit in the bytes left. */
  count32(minBytesEach: number, what: string): number {
    const n = this.int32()
    if (n < 0 || n * minBytesEach > this.end - this.pos) {
      throw new ReadPastEnd(`${what}: count ${n} runs past the message`)
    }
    return n
  }

  /** Fails unless every byte was consumed. */
  done(what: string): void {
    if (this.pos !== this.end) throw new ReadPastEnd(`${what}: ${this.end - this.pos} trailing bytes`)
  }
}
