/** A reusable growable byte buffer where a parser assembles a field that is not a contiguous run of its input. */
export class ByteScratch {
  buf: Buffer = Buffer.allocUnsafe(256)
  length = 0

  private grow(n: number): void {
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }

  byte(c: number): void {
    if (this.length === this.buf.length) this.grow(1)
    this.buf[this.length++] = c
  }

  range(b: Buffer, s: number, e: number): void {
    const n = e - s
    if (n <= 0) return
    if (this.length + n > this.buf.length) this.grow(n)
    b.copy(this.buf, this.length, s, e)
    this.length += n
  }
}
