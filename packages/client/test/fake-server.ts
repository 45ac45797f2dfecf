// A scripted backend for tests of what a real PostgreSQL never sends: malformed messages,
// unexpected ones, odd authentication requests, protocol 3.2 with a long cancel key.
import {
  type AuthContext,
  type BackendMessage,
  type FrontendMessage,
  FrontendMessageStream,
  encodeToBytes
} from "@pgwire-ts/protocol"
import net from "node:net"

export interface FakeConnection {
  /** The next message from the client (the first one is its startup packet). */
  next(authContext?: AuthContext): Promise<FrontendMessage>
  /** Reads messages until one with this tag, returning it. */
  until<T extends FrontendMessage["_tag"]>(tag: T, authContext?: AuthContext): Promise<Extract<FrontendMessage, { _tag: T }>>
  send(...messages: ReadonlyArray<BackendMessage>): void
  sendRaw(bytes: Uint8Array): void
  /** AuthenticationOk, BackendKeyData (4-byte key), ReadyForQuery. */
  acceptStartup(key?: Uint8Array): void
  end(): void
  readonly socket: net.Socket
}

export interface FakeServer {
  readonly port: number
  close(): Promise<void>
}

/** Listens on 127.0.0.1; runs `script` for every connection (errors are reported to `onError`). */
export const startFakeServer = async (
  script: (conn: FakeConnection) => Promise<void>,
  onError: (e: unknown) => void = () => {}
): Promise<FakeServer> => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => {})
    const stream = new FrontendMessageStream()
    const queue: Array<FrontendMessage> = []
    let waiting: ((m: FrontendMessage) => void) | undefined
    let failed: ((e: unknown) => void) | undefined
    socket.on("data", (chunk) => {
      stream.push(chunk)
      try {
        for (let m = stream.next(); m !== undefined; m = stream.next()) {
          if (waiting !== undefined) {
            const w = waiting
            waiting = undefined
            w(m)
          } else {
            queue.push(m)
          }
        }
      } catch (e) {
        failed?.(e)
      }
    })
    const next = (authContext?: AuthContext): Promise<FrontendMessage> => {
      if (authContext !== undefined) stream.authContext = authContext
      const queued = queue.shift()
      if (queued !== undefined) return Promise.resolve(queued)
      return new Promise((resolve, reject) => {
        waiting = resolve
        failed = reject
        socket.once("close", () => reject(new Error("client closed the connection")))
      })
    }
    const conn: FakeConnection = {
      socket,
      next,
      async until(tag, authContext) {
        for (;;) {
          const m = await next(authContext)
          if (m._tag === tag) return m as never
        }
      },
      send: (...messages) => void socket.write(encodeToBytes(...messages)),
      sendRaw: (bytes) => void socket.write(bytes),
      acceptStartup(key = new Uint8Array([1, 2, 3, 4])) {
        conn.send(
          { _tag: "AuthenticationOk" },
          { _tag: "BackendKeyData", processId: 4242, secretKey: key },
          { _tag: "ReadyForQuery", status: "I" }
        )
      },
      end: () => void socket.end()
    }
    script(conn).catch(onError)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** RowDescription of text-format columns. */
export const rowDescription = (...columns: ReadonlyArray<readonly [string, number]>): BackendMessage => ({
  _tag: "RowDescription",
  fields: columns.map(([name, typeOid]) => ({ name, tableOid: 0, columnAttributeNumber: 0, typeOid, typeSize: -1, typeModifier: -1, format: 0 }))
})

export const dataRow = (...values: ReadonlyArray<string | null>): BackendMessage => ({
  _tag: "DataRow",
  values: values.map((v) => (v === null ? null : new TextEncoder().encode(v)))
})
