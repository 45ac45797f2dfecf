import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ProtocolSpy, startSpy } from "./support/protocolSpy.js"
import { run, type RunningServer, startServer } from "./support/server.js"

const JAR = "/usr/share/java/postgresql.jar"
const SOURCE = fileURLToPath(new URL("./jdbc/ExtendedJdbc.java", import.meta.url))

let dir: string
let server: RunningServer
let spy: ProtocolSpy

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-jdbc-"))
  server = await startServer({})
  spy = await startSpy(server.port)
})

afterAll(async () => {
  await spy?.close()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe("JDBC (pgjdbc) against the SQLite server", () => {
  it("prepareThreshold=1: named server-side statements, binary transfer, batches, getInt/getString/getTimestamp, transactions, fetch size", async () => {
    const javac = await run("javac", ["-cp", JAR, "-d", dir, SOURCE], { timeoutMs: 120_000 })
    expect(javac.stderr).toBe("")
    const r = await run("java", ["-cp", `${dir}:${JAR}`, "ExtendedJdbc", String(spy.port)], { timeoutMs: 120_000 })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const out = Object.fromEntries(r.stdout.trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]))
    expect(out["batch"]).toBe("50:50")
    expect(out["rows"]).toBe(
      [2, 4, 6, 8]
        .map((i) => `${i}|event ${i}|${i * 10}|${5_000_000_000 + i}|${i / 4 === Math.trunc(i / 4) ? (i / 4).toFixed(1) : i / 4}|true|2024-02-29 12:34:56.789|2024-03-0${1 + (i % 9)}|${i.toString(16).padStart(2, "0")}ff;`)
        .join("")
    )
    expect(out["server_prepared"]).toBe("true")
    expect(out["aggregate"]).toBe("25|9500|2024-02-29 12:34:56.789")
    expect(out["aggregate_types"]).toBe("int8,int8,timestamp")
    expect(out["updated"]).toBe("1")
    expect(out["duplicate"]).toBe("23505")
    expect(out["after_rollback"]).toBe("event 1")
    expect(out["fetched"]).toBe("50:1275")
    // what went over the wire: named statements, binary result columns, a row limit on Execute
    const named = spy.messages.filter((m) => m._tag === "Parse" && m.name !== "")
    expect(named.length).toBeGreaterThan(0)
    const binds = spy.messages.filter((m) => m._tag === "Bind")
    expect(binds.some((b) => b._tag === "Bind" && b.statement !== "" && b.resultFormats.includes(1))).toBe(true)
    expect(binds.some((b) => b._tag === "Bind" && b.paramFormats.includes(1))).toBe(true)
    expect(spy.messages.some((m) => m._tag === "Execute" && m.maxRows === 7)).toBe(true)
  }, 180_000)
})
