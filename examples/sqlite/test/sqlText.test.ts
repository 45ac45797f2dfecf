import { describe, expect, it } from "vitest"
import { planStatement } from "../src/engine/pgCompat.js"
import { splitStatements, topLevelWords } from "../src/engine/sqlText.js"

describe("splitStatements", () => {
  it("splits on top-level semicolons and drops empty statements", () => {
    expect(splitStatements("select 1; select 2;;  ; -- only a comment\n")).toEqual(["select 1", "select 2"])
    expect(splitStatements("")).toEqual([])
    expect(splitStatements("  /* nothing */ ")).toEqual([])
  })

  it("keeps semicolons inside quotes, identifiers, comments and dollar quotes", () => {
    expect(splitStatements(`select 'a;b', "c;d", \`e;f\`; select 2`)).toEqual([`select 'a;b', "c;d", \`e;f\``, "select 2"])
    expect(splitStatements("select 'it''s;'; select 2")).toEqual(["select 'it''s;'", "select 2"])
    expect(splitStatements("select E'\\';x'; select 2")).toEqual(["select E'\\';x'", "select 2"])
    expect(splitStatements("select 1 -- ; not here\n; select 2")).toEqual(["select 1 -- ; not here", "select 2"])
    expect(splitStatements("select /* a /* nested; */ ; */ 1; select 2")).toEqual(["select /* a /* nested; */ ; */ 1", "select 2"])
    expect(splitStatements("select $$a;b$$, $tag$ $$; $tag$; select $1")).toEqual(["select $$a;b$$, $tag$ $$; $tag$", "select $1"])
  })

  it("keeps a CREATE TRIGGER body whole", () => {
    const trigger = "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (CASE WHEN new.x > 0 THEN 1 ELSE 0 END); DELETE FROM c; END"
    expect(splitStatements(`${trigger}; select 1`)).toEqual([trigger, "select 1"])
  })

  it("an unterminated quote swallows the rest (SQLite then reports the syntax error)", () => {
    expect(splitStatements("select 'abc; select 2")).toEqual(["select 'abc; select 2"])
  })

  it("reads top-level words past parentheses", () => {
    expect(topLevelWords("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x")).toEqual(["WITH", "X", "AS", "INSERT", "INTO", "T", "SELECT", "FROM", "X"])
  })
})

describe("planStatement", () => {
  it("recognizes SET in its PostgreSQL spellings", () => {
    expect(planStatement("SET application_name = 'a''b'")).toEqual({ _tag: "Set", name: "application_name", value: "a'b", local: false })
    expect(planStatement("set LOCAL search_path to public, \"Other\"")).toEqual({ _tag: "Set", name: "search_path", value: "public, Other", local: true })
    expect(planStatement("SET SESSION DateStyle TO DEFAULT")).toEqual({ _tag: "Set", name: "datestyle", value: undefined, local: false })
    expect(planStatement("SET TIME ZONE 'UTC'")).toEqual({ _tag: "Set", name: "TimeZone", value: "UTC", local: false })
    expect(planStatement("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")).toEqual({ _tag: "SetIgnored" })
    expect(planStatement("/* c */ SHOW ALL")).toEqual({ _tag: "Show", name: "ALL" })
    expect(planStatement("show transaction isolation level")).toEqual({ _tag: "Show", name: "transaction_isolation" })
  })

  it("recognizes transaction control and its variants", () => {
    expect(planStatement("BEGIN")).toEqual({ _tag: "Begin", readOnly: false })
    expect(planStatement("begin work isolation level repeatable read, read only")).toEqual({ _tag: "Begin", readOnly: true })
    expect(planStatement("START TRANSACTION")).toEqual({ _tag: "Begin", readOnly: false })
    expect(planStatement("BEGIN IMMEDIATE")).toEqual({ _tag: "Begin", readOnly: false })
    for (const s of ["COMMIT", "commit work", "END", "END TRANSACTION"]) expect(planStatement(s)._tag).toBe("Commit")
    for (const s of ["ROLLBACK", "abort", "ROLLBACK TRANSACTION"]) expect(planStatement(s)._tag).toBe("Rollback")
    expect(planStatement("ROLLBACK TO SAVEPOINT sp1")).toEqual({ _tag: "RollbackTo", sql: "ROLLBACK TO SAVEPOINT \"sp1\"" })
    expect(planStatement("release sp1")).toEqual({ _tag: "Release", sql: "RELEASE SAVEPOINT \"sp1\"" })
    expect(planStatement("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE")).toEqual({ _tag: "Truncate", tables: ["a", "b"] })
  })

  it("passes other statements through with a verb for the command tag", () => {
    expect(planStatement("INSERT INTO t VALUES (1)")).toMatchObject({ _tag: "Sql", verb: { _tag: "Insert" } })
    expect(planStatement("WITH x AS (SELECT 1) DELETE FROM t")).toMatchObject({ verb: { _tag: "Delete" } })
    expect(planStatement("CREATE UNIQUE INDEX i ON t (x)")).toMatchObject({ verb: { _tag: "Other", tag: "CREATE INDEX" } })
    expect(planStatement("DROP TABLE IF EXISTS t")).toMatchObject({ verb: { _tag: "Other", tag: "DROP TABLE" } })
    expect(planStatement("-- lead\nSELECT 1 -- trail")).toEqual({ _tag: "Sql", sql: "SELECT 1", verb: { _tag: "Select" } })
  })
})

describe("parseTimeout (statement_timeout values)", () => {
  it("reads PostgreSQL's units, defaulting to milliseconds", async () => {
    const { parseTimeout } = await import("../src/engine/SqliteSession.js")
    expect([parseTimeout("0"), parseTimeout("250"), parseTimeout("5s"), parseTimeout("1min"), parseTimeout("2 h")]).toEqual([0, 250, 5_000, 60_000, 7_200_000])
    expect([parseTimeout(undefined), parseTimeout("soon"), parseTimeout("1.5s")]).toEqual([0, 0, 1_500])
  })
})
