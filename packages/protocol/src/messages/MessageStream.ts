/**
 * Stream decoders: a MessageFramer plus the per-direction dispatcher. Push
 * chunks as they arrive, then call `next()` until it returns undefined.
 */
import { type FramerOptions, MessageFramer } from "../framer/MessageFramer.js"
import {
  type AuthContext,
  type BackendMessage,
  type FrontendMessage,
  decodeBackendMessage,
  decodeFrontendMessage
} from "./dispatch.js"

export interface MessageStreamOptions {
  /** Largest accepted message length (the length word, which counts itself). */
  readonly maxMessageSize?: number
  /** Largest accepted startup packet (server side). */
  readonly maxStartupSize?: number
}

const framerOptions = (options: MessageStreamOptions, untypedFirst: boolean): FramerOptions => ({
  untypedFirst,
  ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
  ...(options.maxStartupSize !== undefined ? { maxStartupSize: options.maxStartupSize } : {})
})

/**
 * Server side: decodes what a frontend sends. The first packet is untyped
 * (StartupMessage, SSLRequest, GSSENCRequest or CancelRequest); after
 * answering SSLRequest/GSSENCRequest the owner calls `expectUntyped()` since
 * another untyped packet follows. `authContext` says what a 'p' message is.
 * `next()` throws ProtocolDecodeError on bad input; the connection must then
 * end (the stream's position is undefined).
 */
export class FrontendMessageStream {
  private readonly framer: MessageFramer
  /** What the auth phase expects of a 'p' message; the owner updates it. */
  authContext: AuthContext = "password"

  constructor(options: MessageStreamOptions = {}) {
    this.framer = new MessageFramer(framerOptions(options, true))
  }

  push(chunk: Uint8Array): void {
    this.framer.push(chunk)
  }

  next(): FrontendMessage | undefined {
    const f = this.framer
    if (!f.next()) return undefined
    return decodeFrontendMessage(f.type, f.buffer, f.start, f.end, this.authContext)
  }

  /** The next packet has no type byte (after SSLRequest or GSSENCRequest was answered). */
  expectUntyped(): void {
    this.framer.untypedNext = true
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.framer.buffered
  }
}

/**
 * Client side: decodes what a backend sends (all typed). `next()` throws
 * ProtocolDecodeError on bad input; the connection must then end.
 */
export class BackendMessageStream {
  private readonly framer: MessageFramer

  constructor(options: MessageStreamOptions = {}) {
    this.framer = new MessageFramer(framerOptions(options, false))
  }

  push(chunk: Uint8Array): void {
    this.framer.push(chunk)
  }

  next(): BackendMessage | undefined {
    const f = this.framer
    if (!f.next()) return undefined
    return decodeBackendMessage(f.type, f.buffer, f.start, f.end)
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.framer.buffered
  }
}
