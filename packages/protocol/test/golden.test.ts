// Every golden capture of real PostgreSQL 15 traffic decodes completely in both directions,
// the same way whatever the chunking (every split point, random chunkings, one byte at a
// time), and our encoders give back exactly the captured bytes.
import { describe, expect, it } from "@effect/vitest"
import type { BackendMessage, FrontendMessage } from "../src/index.js"
import {
  CAPTURES,
  type Chunking,
  type Decoded,
  decodeBackend,
  decodeCapture,
  decodeFrontend,
  encodeBackend,
  encodeFrontend,
  firstReencodeMismatch,
  loadCapture,
  randomChunking,
  sameValue
} from "./golden/captures.js"

// Above this size a capture is split at every byte boundary inside a window of three
// consecutive messages instead of the whole capture, keeping the test linear in size.
const WHOLE_SPLIT_LIMIT = 16 * 1024

// Byte offsets where each message starts, plus the end, found by walking typed frames.
const typedFrameOffsets = (bytes: Uint8Array): Array<number> => {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const offsets = [0]
  let at = 0
  while (at < bytes.byteLength) {
    at += 1 + view.readUInt32BE(at + 1)
    offsets.push(at)
  }
  return offsets
}

const expectSame = <M>(got: Decoded<M>, whole: ReadonlyArray<M>, what: string): void => {
  if (got.leftover !== 0 || !sameValue(got.messages, whole)) {
    // Only now pay for vitest's diff.
    expect({ what, leftover: got.leftover, messages: got.messages }).toEqual({ what, leftover: 0, messages: whole })
  }
}

describe.each(CAPTURES)("golden capture %s", (name) => {
  const capture = loadCapture(name)
  const decoded = decodeCapture(capture)
  const decodeFe = (bytes: Uint8Array, chunking?: Chunking) => decodeFrontend(bytes, decoded.authContexts, chunking)

  it("decodes both directions completely", () => {
    expect(decoded.fe.length).toBeGreaterThan(0)
    expect(decodeFe(capture.fe).leftover).toBe(0)
    expect(decodeBackend(capture.be).leftover).toBe(0)
    if (capture.be.byteLength > 0) expect(decoded.be.length).toBeGreaterThan(0)
  })

  it("re-encodes every frontend message to the captured bytes", () => {
    expect(firstReencodeMismatch<FrontendMessage>(capture.fe, decoded.fe, encodeFrontend)).toBeUndefined()
  })

  it("re-encodes every backend message to the captured bytes", () => {
    expect(firstReencodeMismatch<BackendMessage>(capture.be, decoded.be, encodeBackend)).toBeUndefined()
  })

  it("decodes the same when split in two at every byte boundary", () => {
    for (let i = 1; i < capture.fe.byteLength; i++) {
      expectSame(decodeFe(capture.fe, [i, capture.fe.byteLength - i]), decoded.fe, `frontend split at ${i}`)
    }
    const be = capture.be
    if (be.byteLength <= WHOLE_SPLIT_LIMIT) {
      for (let i = 1; i < be.byteLength; i++) {
        expectSame(decodeBackend(be, [i, be.byteLength - i]), decoded.be, `backend split at ${i}`)
      }
      return
    }
    const offsets = typedFrameOffsets(be)
    for (let k = 0; k + 1 < offsets.length; k++) {
      const from = offsets[Math.max(0, k - 1)]!
      const to = offsets[Math.min(offsets.length - 1, k + 2)]!
      const window = be.subarray(from, to)
      const expected = decoded.be.slice(Math.max(0, k - 1), Math.min(decoded.be.length, k + 2))
      for (let i = offsets[k]! - from + 1; i <= offsets[k + 1]! - from && i < window.byteLength; i++) {
        expectSame(decodeBackend(window, [i, window.byteLength - i]), expected, `backend split at ${from + i}`)
      }
    }
  })

  it("decodes the same in random chunkings and one byte at a time", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const max = seed <= 10 ? 8 : 300
      expectSame(decodeFe(capture.fe, randomChunking(capture.fe.byteLength, seed, max)), decoded.fe, `frontend seed ${seed}`)
      expectSame(decodeBackend(capture.be, randomChunking(capture.be.byteLength, seed, max)), decoded.be, `backend seed ${seed}`)
    }
    expectSame(decodeFe(capture.fe, new Array<number>(capture.fe.byteLength).fill(1)), decoded.fe, "frontend bytewise")
    expectSame(decodeBackend(capture.be, new Array<number>(capture.be.byteLength).fill(1)), decoded.be, "backend bytewise")
  })
})
