import { spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { psql, startServer } from "./support.js"

const dirs: Array<string> = []
const tempDir = () => {
  const d = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-unix-"))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) Fs.rmSync(d, { recursive: true, force: true })
})

/** A free TCP port, so the socket name is known before the server starts. */
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = Net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as Net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

describe("Unix domain socket", () => {
  it("psql connects at <dir>/.s.PGSQL.<port>; the lock file holds our pid; both files go at shutdown", async () => {
    const dir = tempDir()
    const server = await startServer({ unixSocketDir: dir })
    const socket = Path.join(dir, `.s.PGSQL.${server.port}`)
    try {
      expect(Fs.statSync(socket).isSocket()).toBe(true)
      expect(Fs.readFileSync(`${socket}.lock`, "utf8").split("\n")[0]).toBe(String(process.pid))
      const r = await psql(["-h", dir, "-p", String(server.port), "-U", "bob", "-At", "-c", "select 1"])
      expect(r.stderr).toBe("")
      expect(r.stdout.trim()).toBe("1")
    } finally {
      await server.stop()
    }
    expect(Fs.existsSync(socket)).toBe(false)
    expect(Fs.existsSync(`${socket}.lock`)).toBe(false)
  })

  it("a socket and lock left by a dead process are replaced; a lock held by a live process refuses the start", async () => {
    const dir = tempDir()
    const port = await freePort()
    const socket = Path.join(dir, `.s.PGSQL.${port}`)
    // Leftovers of a crash: a socket file nobody listens on, and a lock naming a process that has exited.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString()
    await new Promise<void>((resolve) => {
      const s = Net.createServer().listen(socket, () => {
        // Closing would unlink it; keep the file as a crash would.
        Fs.linkSync(socket, `${socket}.keep`)
        s.close(() => {
          Fs.renameSync(`${socket}.keep`, socket)
          resolve()
        })
      })
    })
    Fs.writeFileSync(`${socket}.lock`, `${dead}\n`)
    const server = await startServer({ port, unixSocketDir: dir })
    try {
      const r = await psql(["-h", dir, "-p", String(port), "-U", "bob", "-At", "-c", "select 1"])
      expect(r.stdout.trim()).toBe("1")
    } finally {
      await server.stop()
    }

    // A live owner: the start fails with a ServerError naming the lock file.
    const live = spawn("sleep", ["30"])
    try {
      Fs.writeFileSync(`${socket}.lock`, `${live.pid}\n`)
      await expect(startServer({ port, unixSocketDir: dir })).rejects.toThrow(/lock file .* already exists/)
      expect(Fs.readFileSync(`${socket}.lock`, "utf8")).toBe(`${live.pid}\n`)
    } finally {
      live.kill()
    }
  })
})
