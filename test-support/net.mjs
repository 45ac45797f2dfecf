// Network helpers for tests: loopback only.
import net from "node:net"

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picked it for a port-0 bind). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once("error", reject)
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close((err) => (err ? reject(err) : resolve(port)))
    })
  })
}

/** Resolves once a TCP connection to host:port succeeds, rejects after `timeoutMs`. */
export async function waitForPort(port, { host = "127.0.0.1", timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ host, port })
      socket.once("connect", () => {
        socket.destroy()
        resolve(true)
      })
      socket.once("error", () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
