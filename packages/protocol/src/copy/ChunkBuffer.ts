/**
 * The bytes a COPY parser has been given but not yet consumed: at most one
 * partial row plus the last chunk pushed.
 *
 * A chunk pushed while nothing is pending is used as is (no copy). Bytes that
 * straddle chunks are gathered into an owned buffer that grows by doubling, so
 * a row split into many small chunks costs linear time. When `keepsViews` is
 * set (the binary parser hands out views into these bytes), bytes before
 * `start` are never rewritten: the buffer is replaced instead of compacted.
 */
export class ChunkBuffer {
  buf: Buffer = Buffer.alloc(0)
  /** First unconsumed byte. */
  start = 0
  /** One past the last byte. */
  end = 0
  private owned = false

  constructor(private readonly keepsViews: boolean) {}

  get pending(): number {
    return this.end - this.start
  }

  append(chunk: Uint8Array): void {
    const n = chunk.byteLength
    if (n === 0) return
    const live = this.end - this.start
    if (live === 0) {
      this.buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, n)
      this.start = 0
      this.end = n
      this.owned = false
      return
    }
    if (this.owned && this.end + n <= this.buf.length) {
      this.buf.set(chunk, this.end)
      this.end += n
      return
    }
    if (this.owned && !this.keepsViews && live + n <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end)
      this.buf.set(chunk, live)
      this.start = 0
      this.end = live + n
      return
    }
    const next = Buffer.allocUnsafe(Math.max(4096, 2 * (live + n)))
    this.buf.copy(next, 0, this.start, this.end)
    next.set(chunk, live)
    this.buf = next
    this.start = 0
    this.end = live + n
    this.owned = true
  }

  /** Marks everything before `to` consumed; drops the reference to a fully consumed chunk. */
  consume(to: number): void {
    this.start = to
    if (to === this.end && !this.owned) {
      this.buf = EMPTY
      this.start = 0
      this.end = 0
    }
  }
}

const EMPTY = Buffer.alloc(0)
