// The replication command grammar and pgoutput option reading, unit by unit: what is a replication
// command, identifier folding and quoting, LSNs, both CREATE_REPLICATION_SLOT syntaxes, START_REPLICATION
// options, and the errors PostgreSQL gives.
import { describe, expect, it } from "vitest"
import { Either } from "effect"
import { parsePgOutputOptions, splitIdentifiers } from "../src/replication/pgOutputOptions.js"
import { parseReplicationCommand } from "../src/replication/replicationCommand.js"
import { replicationModeOf } from "../src/replication/replicationMode.js"

const parse = (sql: string) => {
  const r = parseReplicationCommand(sql)
  if (r === undefined) return undefined
  return Either.isRight(r) ? r.right : { error: r.left.code, message: r.left.message }
}

describe("parseReplicationCommand", () => {
  it("leaves ordinary SQL alone", () => {
    expect(parse("SELECT 1")).toBeUndefined()
    expect(parse("  select pg_catalog.set_config('search_path', '', false);")).toBeUndefined()
    expect(parse("IDENTIFY")).toBeUndefined()
  })

  it("reads the commands pg_recvlogical and subscribers send", () => {
    expect(parse("IDENTIFY_SYSTEM")).toEqual({ _tag: "IdentifySystem" })
    expect(parse("identify_system;")).toEqual({ _tag: "IdentifySystem" })
    expect(parse("SHOW data_directory_mode")).toEqual({ _tag: "Show", name: "data_directory_mode" })
    expect(parse(`SHOW "TimeZone"`)).toEqual({ _tag: "Show", name: "TimeZone" })
    expect(parse("SHOW pgwire.auth_method")).toEqual({ _tag: "Show", name: "pgwire.auth_method" })
    expect(parse(`CREATE_REPLICATION_SLOT "golden_slot" LOGICAL "pgoutput" ( SNAPSHOT 'nothing')`)).toEqual({
      _tag: "CreateLogicalSlot",
      name: "golden_slot",
      temporary: false,
      plugin: "pgoutput",
      snapshot: "nothing",
      twoPhase: false,
      failover: false
    })
    expect(parse(`START_REPLICATION SLOT "s" LOGICAL 16/B374D848 ("proto_version" '2', "publication_names" '"A",b', "streaming" 'on')`)).toEqual({
      _tag: "StartLogical",
      slot: "s",
      startLsn: 0x16b374d848n,
      options: new Map([
        ["proto_version", "2"],
        ["publication_names", '"A",b'],
        ["streaming", "on"]
      ])
    })
    expect(parse("START_REPLICATION SLOT s LOGICAL 0/0")).toMatchObject({ _tag: "StartLogical", options: new Map() })
    expect(parse("START_REPLICATION SLOT s LOGICAL AB/CD (messages)")).toMatchObject({ startLsn: 0xab000000cdn, options: new Map([["messages", undefined]]) })
    expect(parse("DROP_REPLICATION_SLOT s WAIT")).toEqual({ _tag: "DropSlot", name: "s", wait: true })
    expect(parse("READ_REPLICATION_SLOT Mixed")).toEqual({ _tag: "ReadSlot", name: "mixed" })
    expect(parse("TIMELINE_HISTORY 2")).toEqual({ _tag: "TimelineHistory", timeline: 2 })
    expect(parse("START_REPLICATION SLOT p PHYSICAL 0/1 TIMELINE 1")).toEqual({ _tag: "StartPhysical", slot: "p", startLsn: 1n, timeline: 1 })
    expect(parse("BASE_BACKUP (LABEL 'x')")).toEqual({ _tag: "Unsupported", command: "BASE_BACKUP" })
  })

  it("both CREATE_REPLICATION_SLOT option syntaxes", () => {
    expect(parse("CREATE_REPLICATION_SLOT s TEMPORARY LOGICAL pgoutput USE_SNAPSHOT TWO_PHASE")).toMatchObject({
      temporary: true,
      snapshot: "use",
      twoPhase: true
    })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput NOEXPORT_SNAPSHOT")).toMatchObject({ snapshot: "nothing" })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput")).toMatchObject({ snapshot: "export", twoPhase: false })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput (TWO_PHASE, SNAPSHOT 'use', FAILOVER false)")).toMatchObject({
      snapshot: "use",
      twoPhase: true,
      failover: false
    })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput (TWO_PHASE 'off')")).toMatchObject({ twoPhase: false })
    expect(parse("CREATE_REPLICATION_SLOT p PHYSICAL RESERVE_WAL")).toEqual({ _tag: "CreatePhysicalSlot", name: "p", temporary: false, reserveWal: true })
  })

  it("errors: syntax (42601), bad values (22023), repeated options", () => {
    expect(parse("IDENTIFY_SYSTEM junk")).toMatchObject({ error: "42601" })
    expect(parse("START_REPLICATION SLOT s LOGICAL")).toMatchObject({ error: "42601", message: "syntax error at end of input" })
    expect(parse("START_REPLICATION SLOT s LOGICAL 0/0 (a 'x', a 'y')")).toMatchObject({ error: "42601" })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput (SNAPSHOT 'bla')")).toMatchObject({ error: "22023" })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput (TWO_PHASE maybe)")).toMatchObject({ error: "42601" })
    expect(parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput (FOO)")).toMatchObject({ error: "42601" })
    expect(parse(`SHOW "unterminated`)).toMatchObject({ error: "42601" })
    expect(parse(`SHOW ""`)).toMatchObject({ error: "42601" })
    expect(parse("TIMELINE_HISTORY 0")).toMatchObject({ error: "42601" })
    expect(parse("TIMELINE_HISTORY 99999999999")).toMatchObject({ error: "42601" })
    expect(parse("START_REPLICATION SLOT s LOGICAL 123456789/0")).toMatchObject({ error: "42601" })
  })
})

describe("pgoutput options", () => {
  const opts = (o: Record<string, string | undefined>) => {
    const r = parsePgOutputOptions(new Map(Object.entries(o)))
    return Either.isRight(r) ? r.right : { error: r.left.code }
  }

  it("reads versions, publications and flags", () => {
    expect(opts({ proto_version: "4", publication_names: '"Pub One", two', binary: "true", messages: undefined, streaming: "parallel", origin: "none", two_phase: "on" })).toEqual({
      protoVersion: 4,
      publicationNames: ["Pub One", "two"],
      binary: true,
      messages: true,
      streaming: "parallel",
      twoPhase: true,
      origin: "none"
    })
    expect(opts({ proto_version: "1", publication_names: "p" })).toMatchObject({ streaming: "off", binary: false, origin: "any" })
  })

  it("refuses as pgoutput does", () => {
    expect(opts({ publication_names: "p" })).toEqual({ error: "0A000" })
    expect(opts({ proto_version: "x", publication_names: "p" })).toEqual({ error: "22023" })
    expect(opts({ proto_version: "3" })).toEqual({ error: "22023" })
    expect(opts({ proto_version: "3", publication_names: "p", streaming: "parallel" })).toEqual({ error: "22023" })
    expect(opts({ proto_version: "1", publication_names: "p", origin: "some" })).toEqual({ error: "22023" })
    expect(opts({ proto_version: "1", publication_names: "p", streaming: "sometimes" })).toEqual({ error: "22023" })
    expect(opts({ proto_version: "1", publication_names: "p", nope: "1" })).toEqual({ error: "22023" })
  })

  it("splits identifier lists as SplitIdentifierString", () => {
    expect(splitIdentifiers(' a , "B c" ,"d""e"')).toEqual(["a", "B c", 'd"e'])
    expect(splitIdentifiers("")).toEqual([])
    expect(splitIdentifiers("a,")).toBeUndefined()
    expect(splitIdentifiers('"unterminated')).toBeUndefined()
    expect(splitIdentifiers('""')).toBeUndefined()
  })
})

describe("the replication startup parameter", () => {
  it("reads PostgreSQL's values", () => {
    const mode = (v?: string) => {
      const m = replicationModeOf(new Map(v === undefined ? [] : [["replication", v]]))
      return typeof m === "string" ? m : m.code
    }
    expect([mode(), mode("database"), mode("true"), mode("on"), mode("1"), mode("off"), mode("no"), mode("Database")]).toEqual([
      "none",
      "logical",
      "physical",
      "physical",
      "physical",
      "none",
      "none",
      "22023"
    ])
  })
})
