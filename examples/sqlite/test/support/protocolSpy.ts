import { type FrontendMessage, FrontendMessageStream } from "@pgwire-ts/protocol"
import net from "node:net"

export interface ProtocolSpy {
  readonly port: number
  /** Every message the clients sent through the spy, in order (startup packets included). */
  readonly messages: Array<FrontendMessage>
  readonly close: () => Promise<void>
}

/**
 * A TCP relay in front of the test server that decodes what clients send
 * (plaintext only), so a test can see how a driver uses the protocol: named
 * statements, Bind's format codes, Execute's row limits.
 */
export const startSpy = (targetPort: number): Promise<ProtocolSpy> =>
  new Promise((resolve) => {
    const messages: Array<FrontendMessage> = []
    const sockets = new Set<net.Socket>()
    const relay = net.createServer((client) => {
      const upstream = net.connect(targetPort, "127.0.0.1")
      sockets.add(client).add(upstream)
      const decoder = new FrontendMessageStream()
      client.on("data", (chunk) => {
        decoder.push(chunk)
        for (let m = decoder.next(); m !== undefined; m = decoder.next()) {
          messages.push(m)
          // the server answers these with one byte; another untyped packet follows
          if (m._tag === "SSLRequest" || m._tag === "GSSENCRequest") decoder.expectUntyped()
        }
        upstream.write(chunk)
      })
      upstream.pipe(client)
      const end = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on("close", end).on("error", end)
      upstream.on("close", end).on("error", end)
    })
    relay.listen(0, "127.0.0.1", () => {
      resolve({
        port: (relay.address() as net.AddressInfo).port,
        messages,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy()
            relay.close(() => done())
          })
      })
    })
  })
