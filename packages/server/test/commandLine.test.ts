import { execFileSync, spawnSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { parseCommandLine } from "../src/cli/commandLine.js"

const usage = "usage: t.js [--host H] [--port P] [--tag T ...]"
const parse = (args: ReadonlyArray<string>) =>
  parseCommandLine(usage, {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5432" },
    tag: { type: "string", multiple: true, default: [] },
    verbose: { type: "boolean", default: false },
    name: { type: "string" }
  }, args)

// The failing paths exit the process: run them in a child through the built package.
const runChild = (args: ReadonlyArray<string>, body: string) =>
  spawnSync(process.execPath, ["--input-type=module", "-e", `
    import { parseCommandLine } from "@pgwire-ts/server"
    const cl = parseCommandLine(${JSON.stringify(usage)}, { port: { type: "string", default: "5432" } }, ${JSON.stringify(args)})
    ${body}
  `], { encoding: "utf8", cwd: new URL("..", import.meta.url).pathname })

describe("parseCommandLine", () => {
  it("gives the flags typed with their defaults, repeated flags as a list", () => {
    const { flags, port } = parse(["--port", "6543", "--tag", "a", "--tag", "b", "--verbose"])
    expect(flags).toEqual({ host: "127.0.0.1", port: "6543", tag: ["a", "b"], verbose: true, help: false })
    expect(flags.name).toBeUndefined()
    expect(port("port")).toBe(6543)
  })

  it("accepts the port bounds 0 and 65535", () => {
    expect(parse(["--port", "0"]).port("port")).toBe(0)
    expect(parse(["--port", "65535"]).port("port")).toBe(65535)
  })

  it("an unknown flag prints the message and the usage, status 2", () => {
    const r = runChild(["--nope"], "")
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("Unknown option '--nope'")
    expect(r.stderr).toContain(usage)
  })

  it.each(["65536", "-1", "1.5", "x"])("port %s is refused with status 2", (value) => {
    const r = runChild([`--port=${value}`], "cl.port('port'); console.log('not reached')")
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`invalid --port ${value}`)
    expect(r.stdout).not.toContain("not reached")
  })

  it("fail(message) prints it with the usage, status 2", () => {
    const r = runChild([], "cl.fail('--users is required')")
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`--users is required\n${usage}\n`)
  })

  it("--help prints the usage to stdout, status 0", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
      import { parseCommandLine } from "@pgwire-ts/server"
      parseCommandLine("usage: h", {}, ["--help"])
      console.log("not reached")
    `], { encoding: "utf8", cwd: new URL("..", import.meta.url).pathname })
    expect(out).toBe("usage: h\n")
  })
})
