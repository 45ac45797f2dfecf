/**
 * The engine of one connection, free of any Effect on the hot path.
 *
 * Reading: the socket's reader calls `onData` with each chunk; backend messages
 * go to the request at the head of `pending` (requests are answered in the
 * order they were written), except the asynchronous ones (NotificationResponse,
 * NoticeResponse, ParameterStatus), which may arrive at any time.
 *
 * Writing: requests append their messages to a reusable Writer; one writer
 * fiber sends whatever has accumulated, so many requests made at once leave
 * in one write (pipelining) while the other Writer fills.
 *
 * The write gate: a request that must send more messages later in a fixed
 * place of the stream (a portal fetched in batches, COPY FROM STDIN) holds the
 * gate; requests made meanwhile wait in `held` and are written, in order, once
 * it is released.
 */
import {
  BackendType,
  type ErrorFields,
  MessageFramer,
  type NotificationResponse,
  ProtocolDecodeError,
  type TransactionStatus,
  Writer,
  decodeBackendMessage,
  encodeCopyFail,
  encodeSync
} from "@pgwire-ts/protocol"
import { Effect } from "effect"
import type net from "node:net"
import { PgConnectionError, type PgQueryError, PgValueError } from "../errors.js"
import { Fifo } from "./Fifo.js"

export interface PendingRequest {
  /** Appends the request's first messages. May throw PgValueError (a value no codec can encode): nothing is sent then. */
  write(w: Writer): void
  /** One backend message for this request; returns true when it was the request's last. */
  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean
  /** Fails the request: its messages could not be encoded, or the connection ended. */
  fail(error: PgQueryError): void
  /** True when the request reads FATAL errors itself (startup); otherwise a FATAL error ends the connection. */
  readonly handlesFatal?: boolean
}

/** Something with buffered output for a waiting consumer, woken once per socket chunk. */
export interface Wakeable {
  wake(): void
}

export interface ConnectionHooks {
  readonly onNotification: (n: NotificationResponse) => void
  readonly onNotice: (fields: ErrorFields) => void
  readonly onParameterStatus: (name: string, value: string) => void
}

type WriteFn = (w: Writer) => void

interface Held {
  readonly request: PendingRequest
  readonly exclusive: boolean
}

/** Bytes queued in the Writer past which `needsDrain` asks a producer (COPY) to wait. */
export const DRAIN_THRESHOLD = 256 * 1024

export class ConnectionCore {
  private readonly framer = new MessageFramer()
  private readonly pending = new Fifo<PendingRequest>()
  private readonly held = new Fifo<Held>()
  private gateOwner: PendingRequest | undefined = undefined

  private current = new Writer(16 * 1024)
  private spare = new Writer(16 * 1024)
  private writerWaiter: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  private flushedBytes = 0
  private inFlightBytes = 0
  private drainWaiters: Array<{ readonly target: number; readonly resume: (effect: Effect.Effect<void, PgConnectionError>) => void }> = []

  private pauses = 0
  private touched: Array<Wakeable> = []

  /** Set once the connection is unusable; every later request fails with it. */
  closed: PgConnectionError | undefined = undefined
  transactionStatus: TransactionStatus = "I"

  constructor(
    private readonly duplex: net.Socket,
    private readonly hooks: ConnectionHooks
  ) {}

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Writes a request's messages and queues it for the responses. With
   * `exclusive`, the request holds the write gate until it calls `release`.
   */
  submit(request: PendingRequest, exclusive = false): void {
    if (this.closed !== undefined) return request.fail(this.closed)
    if (this.gateOwner !== undefined) {
      this.held.push({ request, exclusive })
      return
    }
    this.writeRequest(request, exclusive)
  }

  /** More messages from the request that holds the gate (or any message that expects no response). */
  writeMore(write: WriteFn): void {
    if (this.closed !== undefined) return
    write(this.current)
    this.wakeWriter()
  }

  /** Gives the write gate back and writes the requests that waited for it. */
  release(request: PendingRequest): void {
    if (this.gateOwner !== request) return
    this.gateOwner = undefined
    while (this.gateOwner === undefined && this.held.length > 0) {
      const next = this.held.shift()!
      this.writeRequest(next.request, next.exclusive)
    }
  }

  private writeRequest(request: PendingRequest, exclusive: boolean): void {
    const w = this.current
    const mark = w.length
    try {
      request.write(w)
    } catch (e) {
      // A value the codecs refused: nothing of this request may reach the server.
      w.length = mark
      return request.fail(
        e instanceof PgValueError ? e : new PgValueError({ kind: "parameter", message: e instanceof Error ? e.message : String(e), cause: e })
      )
    }
    this.pending.push(request)
    if (exclusive) this.gateOwner = request
    this.wakeWriter()
  }

  private wakeWriter(): void {
    const resume = this.writerWaiter
    if (resume !== undefined) {
      this.writerWaiter = undefined
      resume(Effect.void)
    }
  }

  /** True when so much is queued that a producer should `awaitDrain` before writing more. */
  get needsDrain(): boolean {
    return this.current.length >= DRAIN_THRESHOLD
  }

  /** Waits until everything written to the Writer so far has been handed to the socket. */
  readonly awaitDrain: Effect.Effect<void, PgConnectionError> = Effect.suspend(() => {
    if (this.closed !== undefined) return Effect.fail(this.closed)
    const target = this.flushedBytes + this.inFlightBytes + this.current.length
    if (this.flushedBytes >= target) return Effect.void
    return Effect.async<void, PgConnectionError>((resume) => {
      this.drainWaiters.push({ target, resume })
    })
  })

  /** The writer fiber: sends the accumulated bytes, one write at a time, until interrupted or a write fails. */
  writerLoop<E>(write: (bytes: Uint8Array) => Effect.Effect<void, E>): Effect.Effect<never, E> {
    const waitForBytes = Effect.async<void>((resume) => {
      if (this.current.length > 0) return resume(Effect.void)
      this.writerWaiter = resume
      return Effect.sync(() => {
        this.writerWaiter = undefined
      })
    })
    const sendOnce = Effect.suspend(() => {
      const out = this.current
      this.current = this.spare
      this.spare = out
      this.inFlightBytes = out.length
      return Effect.map(write(out.view()), () => {
        this.flushedBytes += out.length
        this.inFlightBytes = 0
        out.reset()
        this.resolveDrainWaiters()
      })
    })
    return Effect.forever(Effect.zipRight(waitForBytes, sendOnce))
  }

  private resolveDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return
    const still: typeof this.drainWaiters = []
    for (const waiter of this.drainWaiters) {
      if (this.flushedBytes >= waiter.target) waiter.resume(Effect.void)
      else still.push(waiter)
    }
    this.drainWaiters = still
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Dispatches every whole message of a chunk. Never throws: a broken stream fails the connection. */
  onData(chunk: Uint8Array): void {
    if (this.closed !== undefined) return
    const f = this.framer
    f.push(chunk)
    try {
      while (f.next()) {
        const type = f.type
        if (type === BackendType.NotificationResponse || type === BackendType.NoticeResponse || type === BackendType.ParameterStatus) {
          this.asynchronous(type, f.buffer, f.start, f.end)
          continue
        }
        if (type === BackendType.ReadyForQuery && f.end - f.start === 1) {
          this.transactionStatus = String.fromCharCode(f.buffer[f.start]!) as TransactionStatus
        }
        const request = this.pending.peek()
        if (request === undefined) {
          this.unsolicited(type, f.buffer, f.start, f.end)
          if (this.closed !== undefined) return
          continue
        }
        if (type === BackendType.ErrorResponse && request.handlesFatal !== true && this.fatal(f.buffer, f.start, f.end)) return
        if (request.onMessage(type, f.buffer, f.start, f.end)) this.pending.shift()
        if (this.closed !== undefined) return
      }
    } catch (e) {
      this.fail(new PgConnectionError({
        reason: "Protocol",
        message: e instanceof ProtocolDecodeError ? `bad ${e.messageName} from the server: ${e.reason}` : `protocol error: ${e instanceof Error ? e.message : String(e)}`,
        cause: e
      }))
    } finally {
      this.wakeTouched()
    }
  }

  private asynchronous(type: number, buf: Uint8Array, start: number, end: number): void {
    const m = decodeBackendMessage(type, buf, start, end)
    // Hooks are user code: their failures must not break the read loop.
    try {
      switch (m._tag) {
        case "NotificationResponse":
          return this.hooks.onNotification(m)
        case "NoticeResponse":
          return this.hooks.onNotice(m.fields)
        case "ParameterStatus":
          return this.hooks.onParameterStatus(m.name, m.value)
      }
    } catch {
      // ignored on purpose
    }
  }

  // A FATAL (or PANIC) error means the server is closing the connection: fail it now, with the server's reason.
  private fatal(buf: Uint8Array, start: number, end: number): boolean {
    const m = decodeBackendMessage(BackendType.ErrorResponse, buf, start, end)
    if (m._tag !== "ErrorResponse") return false
    const severity = m.fields.severityNonLocalized ?? m.fields.severity
    if (severity !== "FATAL" && severity !== "PANIC") return false
    this.fail(new PgConnectionError({ reason: "Closed", message: m.fields.message, code: m.fields.code, fields: m.fields }))
    return true
  }

  // With nothing pending, only a FATAL error (shutdown, idle timeout) is expected.
  private unsolicited(type: number, buf: Uint8Array, start: number, end: number): void {
    const m = decodeBackendMessage(type, buf, start, end)
    if (m._tag === "ErrorResponse") {
      this.fail(new PgConnectionError({ reason: "Closed", message: m.fields.message, code: m.fields.code, fields: m.fields }))
      return
    }
    this.fail(new PgConnectionError({ reason: "Protocol", message: `unexpected ${m._tag} with no request pending` }))
  }

  /** Asks for `wake()` at the end of the current chunk (so consumers get whole chunks of rows). */
  touch(w: Wakeable): void {
    this.touched.push(w)
  }

  private wakeTouched(): void {
    if (this.touched.length === 0) return
    const list = this.touched
    this.touched = []
    for (const w of list) w.wake()
  }

  /** Stops reading the socket (a consumer is slow); balanced by `resumeReading`. */
  pauseReading(): void {
    if (this.pauses++ === 0) this.duplex.pause()
  }

  resumeReading(): void {
    if (this.pauses > 0 && --this.pauses === 0 && this.closed === undefined) this.duplex.resume()
  }

  // ---- ending ---------------------------------------------------------------------------------

  /** Marks the connection dead, fails every waiting request and closes the socket. Idempotent. */
  fail(error: PgConnectionError): void {
    if (this.closed !== undefined) return
    this.closed = error
    this.gateOwner = undefined
    for (const request of this.pending.drain()) request.fail(error)
    for (const h of this.held.drain()) h.request.fail(error)
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const waiter of waiters) waiter.resume(Effect.fail(error))
    this.wakeTouched()
    this.duplex.destroy()
  }

  /** True when nothing was written after `request` (it is the newest request in flight). */
  isLastWritten(request: PendingRequest): boolean {
    return this.pending.last() === request
  }

  /**
   * An extended-protocol COPY FROM STDIN: the server reads the next messages as
   * copy data. Only when nothing follows our Sync can CopyFail + Sync end it
   * cleanly; otherwise the next request's messages were swallowed and the
   * stream is out of step, so the connection ends with a clear error.
   */
  refuseExtendedCopyIn(request: PendingRequest, sync: boolean): void {
    if (!this.isLastWritten(request)) {
      this.fail(new PgConnectionError({
        reason: "Protocol",
        message: "COPY FROM STDIN ran inside a pipeline of requests and swallowed the next one; use copyFrom() for COPY FROM STDIN"
      }))
      return
    }
    this.writeMore((w) => {
      encodeCopyFail(w, { _tag: "CopyFail", message: "COPY FROM STDIN is only supported through copyFrom()" })
      if (sync) encodeSync(w)
    })
  }

  /** Number of requests written and not yet answered (for tests and metrics). */
  get inFlight(): number {
    return this.pending.length
  }
}
