import { makeScramVerifier, parseScramVerifier } from "@pgwire-ts/protocol"
import { Effect, Either } from "effect"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { formatUsers, parseUsers, readUsers, upsertUser } from "../src/usersFile.js"

const dir = mkdtempSync(join(tmpdir(), "pgwire-scram-users-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const verifier = (password: string) => makeScramVerifier(password, { iterations: 4096, salt: new Uint8Array(16).fill(7) })

describe("users file", () => {
  it("round-trips names with quotes and spaces", async () => {
    const users = new Map([
      ["alice", verifier("a")],
      ['o"brien the "great"', verifier("b")]
    ])
    const text = formatUsers(users)
    expect(text.split("\n")[1]).toMatch(/^"o""brien the ""great""" "SCRAM-SHA-256\$4096:/)
    const parsed = await Effect.runPromise(parseUsers(`; comment\n# another\n\n${text}`))
    expect([...parsed.keys()]).toEqual(["alice", 'o"brien the "great"'])
    expect(parsed.get("alice")).toEqual(users.get("alice"))
  })

  it("refuses plaintext passwords, malformed lines and duplicates, naming the line", async () => {
    // Effect.flip: the error becomes the value, and a file that parses fails the test.
    const fails = (text: string) => Effect.runPromise(Effect.flip(parseUsers(text, "u.txt"))).then((e) => e.message)
    expect(await fails(`"alice" "secret"`)).toBe(`u.txt:1: the secret of "alice" is not a SCRAM-SHA-256 verifier (plaintext passwords are refused)`)
    expect(await fails(`\n"alice" "md5e5e4a4f3d8a9c3b1e5d5f3a8a7e2c1b0"`)).toMatch(/^u\.txt:2: the secret of "alice"/)
    expect(await fails(`alice SCRAM-SHA-256$4096:x$y:z`)).toMatch(/^u\.txt:1: expected/)
    const line = formatUsers(new Map([["bob", verifier("x")]]))
    expect(await fails(line + line)).toBe(`u.txt:2: "bob" appears twice`)
    expect(await fails(`"" "x"`)).toBe("u.txt:1: empty user name")
  })

  it("upsertUser creates the file (mode 0600), replaces a user's verifier and keeps the others", async () => {
    const file = join(dir, "users.txt")
    await Effect.runPromise(upsertUser(file, "alice", verifier("one")))
    await Effect.runPromise(upsertUser(file, "bob", verifier("two")))
    await Effect.runPromise(upsertUser(file, "alice", verifier("three")))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const users = await Effect.runPromise(readUsers(file))
    expect([...users.keys()]).toEqual(["alice", "bob"])
    expect(users.get("alice")).toEqual(verifier("three"))
    const text = readFileSync(file, "utf8")
    expect(text).not.toMatch(/one|two|three/)
    for (const l of text.trim().split("\n")) expect(parseScramVerifier(JSON.parse(l.split(" ")[1]!))).toBeDefined()
  })

  it("upsertUser refuses to touch a malformed file or to write a name with a line break", async () => {
    const file = join(dir, "bad.txt")
    writeFileSync(file, `"alice" "plaintext"\n`)
    const r = await Effect.runPromise(Effect.either(upsertUser(file, "bob", verifier("x"))))
    expect(Either.isLeft(r)).toBe(true)
    expect(readFileSync(file, "utf8")).toBe(`"alice" "plaintext"\n`)
    const r2 = await Effect.runPromise(Effect.either(upsertUser(join(dir, "x.txt"), "a\nb", verifier("x"))))
    expect(Either.isLeft(r2)).toBe(true)
  })
})
