/**
 * Byte fields decoded as plain `Uint8Array` views into the input (not Node
 * `Buffer`s), so a decoded message is exactly its Schema type and compares
 * equal to one built by hand. Internal: not re-exported.
 */
import { ReadPastEnd, type Reader } from "../../buffer/Reader.js"

/** The next `n` bytes as a view; throws ReadPastEnd past the end. */
export const readView = (r: Reader, n: number): Uint8Array => {
  if (n < 0 || n > r.end - r.pos) throw new ReadPastEnd(`bytes: needs ${n} bytes, ${r.end - r.pos} left`)
  const b = r.buf
  const v = new Uint8Array(b.buffer, b.byteOffset + r.pos, n)
  r.pos += n
  return v
}

/** Everything left as a view. */
export const restView = (r: Reader): Uint8Array => readView(r, r.end - r.pos)
