import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { SqlState, SqlStateClass, sqlStateClassName, sqlStateInfo, sqlStateName } from "../src/errors/SqlState.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const generator = path.join(here, "..", "scripts", "gen-sqlstate.mjs")
const generated = path.join(here, "..", "src", "errors", "SqlState.ts")
const errcodes = path.join(here, "..", "scripts", "errcodes.txt")

describe("SqlState", () => {
  it("names the codes the server and clients rely on", () => {
    expect(SqlState.SuccessfulCompletion).toBe("00000")
    expect(SqlState.ProtocolViolation).toBe("08P01")
    expect(SqlState.InvalidPassword).toBe("28P01")
    expect(SqlState.InvalidAuthorizationSpecification).toBe("28000")
    expect(SqlState.FeatureNotSupported).toBe("0A000")
    expect(SqlState.QueryCanceled).toBe("57014")
    expect(SqlState.UndefinedTable).toBe("42P01")
    expect(SqlState.SyntaxError).toBe("42601")
    expect(SqlState.InternalError).toBe("XX000")
    expect(SqlState.AdminShutdown).toBe("57P01")
    expect(SqlState.TooManyConnections).toBe("53300")
    expect(SqlState.InFailedSqlTransaction).toBe("25P02")
  })

  it("keeps aliases that share a code, and reverse lookup prefers the one with a condition name", () => {
    expect(SqlState.UndefinedDatabase).toBe("3D000")
    expect(SqlState.InvalidCatalogName).toBe("3D000")
    expect(sqlStateName("3D000")).toBe("InvalidCatalogName")
    expect(sqlStateInfo("2202E")).toEqual({ code: "2202E", kind: "E", name: "ArraySubscriptError", condition: "array_subscript_error" })
  })

  it("distinguishes codes whose condition names collide", () => {
    expect(SqlState.WarningStringDataRightTruncation).toBe("01004")
    expect(SqlState.StringDataRightTruncation).toBe("22001")
    expect(sqlStateInfo("01004")?.condition).toBe("string_data_right_truncation")
    expect(sqlStateInfo("01004")?.kind).toBe("W")
    expect(sqlStateInfo("22001")?.condition).toBe("string_data_right_truncation")
    expect(sqlStateInfo("22001")?.kind).toBe("E")
  })

  it("reverse lookup is the inverse of every constant", () => {
    for (const [name, code] of Object.entries(SqlState)) {
      const info = sqlStateInfo(code)
      expect(info, name).toBeDefined()
      expect(SqlState[info!.name]).toBe(code)
    }
    expect(sqlStateInfo("ZZZZZ")).toBeUndefined()
    expect(sqlStateName("")).toBeUndefined()
  })

  it("gives the class titles and kinds", () => {
    expect(sqlStateClassName("08P01")).toBe("Connection Exception")
    expect(sqlStateClassName("02000")).toBe("No Data")
    expect(sqlStateClassName("08")).toBeUndefined()
    expect(sqlStateClassName("ZZ000")).toBeUndefined()
    expect(sqlStateInfo("00000")?.kind).toBe("S")
    expect(sqlStateInfo("01000")?.kind).toBe("W")
    expect(Object.keys(SqlStateClass)).toContain("XX")
    for (const code of Object.values(SqlState)) expect(sqlStateClassName(code), code).toBeDefined()
  })

  it("covers every line of errcodes.txt", () => {
    const lines = fs.readFileSync(errcodes, "utf8").split("\n").map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("Section:"))
    expect(Object.keys(SqlState).length).toBe(lines.length)
    for (const line of lines) {
      const [code, kind, , condition] = line.split(/\s+/)
      expect(Object.values(SqlState)).toContain(code)
      const info = sqlStateInfo(code!)!
      expect(info.kind).toBe(kind)
      if (condition !== undefined && info.condition !== condition) {
        // Only aliases of a code may differ from the primary entry's condition.
        expect(lines.filter((l) => l.startsWith(code!)).length).toBeGreaterThan(1)
      }
    }
  })

  it("the committed file is what the generator produces", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sqlstate-"))
    try {
      // Run a copy of the script against a copy of the package layout so the check never writes src/.
      fs.mkdirSync(path.join(dir, "scripts"))
      fs.mkdirSync(path.join(dir, "src", "errors"), { recursive: true })
      fs.copyFileSync(generator, path.join(dir, "scripts", "gen-sqlstate.mjs"))
      execFileSync(process.execPath, [path.join(dir, "scripts", "gen-sqlstate.mjs"), errcodes], { stdio: "pipe" })
      expect(fs.readFileSync(path.join(dir, "src", "errors", "SqlState.ts"), "utf8")).toBe(fs.readFileSync(generated, "utf8"))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
