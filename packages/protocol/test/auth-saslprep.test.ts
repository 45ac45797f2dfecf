import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { saslprep } from "../src/auth/index.js"

const here = path.dirname(fileURLToPath(import.meta.url))

describe("saslprep (RFC 4013 as PostgreSQL applies it)", () => {
  it("leaves pure ASCII alone, control characters included (PostgreSQL skips ASCII)", () => {
    for (const s of ["", "pencil", "a b", "tab\there", "\u0000\u007f"]) expect(saslprep(s)).toBe(s)
  })

  it("maps non-ASCII spaces to U+0020 and removes the commonly-mapped-to-nothing characters", () => {
    expect(saslprep("a\u00a0b")).toBe("a b")
    expect(saslprep("a\u2003b\u3000c")).toBe("a b c")
    expect(saslprep("a\u200bb")).toBe("a b") // ZERO WIDTH SPACE is in C.1.2, which PostgreSQL checks first
    expect(saslprep("I\u00adX")).toBe("IX")
    expect(saslprep("a\u200db\ufe0fc\u2060")).toBe("abc")
  })

  it("normalizes with NFKC", () => {
    expect(saslprep("\u2168")).toBe("IX")
    expect(saslprep("\u00aa")).toBe("a")
    expect(saslprep("\ufb01")).toBe("fi")
    expect(saslprep("e\u0301")).toBe("\u00e9")
    expect(saslprep("\uff21\uff22")).toBe("AB")
    expect(saslprep("caf\u00e9")).toBe("caf\u00e9")
  })

  it.each([
    ["C.2.1 ASCII control among non-ASCII", "\u00e9\u0007"],
    ["C.2.2 non-ASCII control", "\u00e9\u0085"],
    ["C.3 private use", "\u00e9\ue000"],
    ["C.4 non-character", "\u00e9\uffff"],
    ["C.5 lone high surrogate", "\u00e9\ud800"],
    ["C.5 lone low surrogate", "\udc00\u00e9"],
    ["C.6 inappropriate for plain text", "\u00e9\ufff9"],
    ["C.7 inappropriate for canonical representation", "\u00e9\u2ff0"],
    ["C.8 change display property", "\u00e9\u200e"],
    ["C.9 tagging character", "\u00e9\u{e0001}"],
    ["A.1 unassigned in Unicode 3.2", "\u00e9\u0221"],
    ["A.1 emoji (unassigned in 3.2)", "\u{1f511}"],
    ["bidi: RandALCat and LCat mixed", "\u0627a"],
    ["bidi: RandALCat not first", "1\u0627"],
    ["bidi: RandALCat not last", "\u06271"],
    ["mapped to nothing only", "\u00ad\u200d"]
  ])("falls back to the raw password: %s", (_name, s) => {
    expect(saslprep(s)).toBe(s)
  })

  it("accepts right-to-left strings that follow the bidi rules", () => {
    expect(saslprep("\u0627\u0628")).toBe("\u0627\u0628")
    expect(saslprep("\u05d0 1 \u05d1")).toBe("\u05d0 1 \u05d1")
    expect(saslprep("\ufe8d\u0628")).toBe("\u0627\u0628")
  })

  it("keeps a valid surrogate pair (an assigned astral character)", () => {
    // U+1D400 MATHEMATICAL BOLD CAPITAL A: assigned in 3.1, NFKC gives A.
    expect(saslprep("\u00e9\u{1d400}")).toBe("\u00e9A")
  })

  it("the committed tables are what the generator makes from Python's stringprep module", () => {
    const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "saslprep-"))
    try {
      fs.mkdirSync(path.join(dir, "scripts"))
      fs.mkdirSync(path.join(dir, "src", "auth"), { recursive: true })
      fs.copyFileSync(path.join(here, "..", "scripts", "gen-saslprep-tables.py"), path.join(dir, "scripts", "gen-saslprep-tables.py"))
      execFileSync(python, [path.join(dir, "scripts", "gen-saslprep-tables.py")], { stdio: "pipe", cwd: dir })
      expect(fs.readFileSync(path.join(dir, "src", "auth", "saslprepTables.ts"), "utf8"))
        .toBe(fs.readFileSync(path.join(here, "..", "src", "auth", "saslprepTables.ts"), "utf8"))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)
})
