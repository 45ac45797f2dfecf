// What each golden capture says, message by message: the decoded traffic is what the
// scenario in scripts/capture-golden.mjs did against PostgreSQL 15.
import { describe, expect, it } from "@effect/vitest"
import type { BackendMessage, FrontendMessage } from "../src/index.js"
import { type CaptureName, decodeCapture, loadCapture, tagRuns, text } from "./golden/captures.js"

type Tagged<M, T> = Extract<M, { readonly _tag: T }>
const ofTag = <M extends { readonly _tag: string }, T extends M["_tag"]>(messages: ReadonlyArray<M>, tag: T): Array<Tagged<M, T>> =>
  messages.filter((m): m is Tagged<M, T> => m._tag === tag)
const decoded = (name: CaptureName) => decodeCapture(loadCapture(name))
const dataRowsText = (be: ReadonlyArray<BackendMessage>) => ofTag(be, "DataRow").map((r) => r.values.map(text))
const commandTags = (be: ReadonlyArray<BackendMessage>) => ofTag(be, "CommandComplete").map((c) => c.tag)
const parameterStatus = (be: ReadonlyArray<BackendMessage>) =>
  Object.fromEntries(ofTag(be, "ParameterStatus").map((p) => [p.name, p.value]))

// The startup every PostgreSQL 15 session sends after AuthenticationOk, in order.
const STARTUP_PARAMETERS = [
  "application_name", "client_encoding", "DateStyle", "default_transaction_read_only", "in_hot_standby",
  "integer_datetimes", "IntervalStyle", "is_superuser", "server_encoding", "server_version",
  "session_authorization", "standard_conforming_strings", "TimeZone"
]

const expectSessionStart = (be: ReadonlyArray<BackendMessage>, user: string): void => {
  const okAt = be.findIndex((m) => m._tag === "AuthenticationOk")
  expect(okAt).toBeGreaterThanOrEqual(0)
  const after = be.slice(okAt + 1, okAt + 1 + STARTUP_PARAMETERS.length + 2)
  expect(after.slice(0, STARTUP_PARAMETERS.length).map((m) => (m._tag === "ParameterStatus" ? m.name : m._tag))).toEqual(STARTUP_PARAMETERS)
  const status = parameterStatus(be)
  expect(status.server_version).toMatch(/^15\.\d+/)
  expect(status.session_authorization).toBe(user)
  expect(status.integer_datetimes).toBe("on")
  const key = after[STARTUP_PARAMETERS.length]!
  expect(key._tag).toBe("BackendKeyData")
  if (key._tag === "BackendKeyData") {
    expect(key.processId).toBeGreaterThan(0)
    expect(key.secretKey.byteLength).toBe(4)
  }
  expect(after[STARTUP_PARAMETERS.length + 1]).toEqual({ _tag: "ReadyForQuery", status: "I" })
}

describe("psql-simple", () => {
  const { fe, be } = decoded("psql-simple")

  it("frontend: startup, SCRAM, the queries in order, \\copy data, fast-path calls, Terminate", () => {
    expect(fe[0]).toEqual({
      _tag: "StartupMessage",
      protocolVersion: { major: 3, minor: 0 },
      parameters: { user: "scram_user", database: "postgres", application_name: "golden-psql" }
    })
    expect(tagRuns(fe)).toEqual([
      "StartupMessage", "SASLInitialResponse", "SASLResponse", "Query x17", "CopyData", "CopyDone", "Query",
      "CopyData", "CopyDone", "Query x10", "FunctionCall x4", "Query x2", "Terminate"
    ])
    const sql = ofTag(fe, "Query").map((q) => q.sql)
    expect(sql.slice(0, 3)).toEqual([
      "SELECT 1 AS one; SELECT 'two'::text AS two, 2.5::numeric AS n",
      "",
      "CREATE TABLE golden_copy (id int4 PRIMARY KEY, name text, note text);"
    ])
    expect(sql).toContain("SELEC 1;")
    expect(sql).toContain("COPY  golden_copy FROM STDIN WITH (FORMAT csv, HEADER true)")
    expect(ofTag(fe, "CopyData").map((d) => text(d.data))).toEqual([
      "2\ttwo\t\\N\n3\tthree\ttab\\there\n",
      'id,name,note\n4,four,"quoted, with comma"\n5,five,\n'
    ])
  })

  it("backend: SCRAM-SHA-256 offered alone (no TLS, so no -PLUS), then the session start", () => {
    expect(be[0]).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
    expect(be.slice(1, 4).map((m) => m._tag)).toEqual(["AuthenticationSASLContinue", "AuthenticationSASLFinal", "AuthenticationOk"])
    expectSessionStart(be, "scram_user")
    expect(parameterStatus(be).application_name).toBe("golden-renamed")
  })

  it("backend: two result sets for the two-statement string, then EmptyQueryResponse for the empty one", () => {
    const firstReady = be.findIndex((m) => m._tag === "ReadyForQuery")
    const rest = be.slice(firstReady + 1)
    expect(tagRuns(rest.slice(0, 10))).toEqual([
      "RowDescription", "DataRow", "CommandComplete", "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery",
      "EmptyQueryResponse", "ReadyForQuery", "CommandComplete"
    ])
  })

  it("backend: the type OIDs and text values of the many-types SELECT", () => {
    const desc = ofTag(be, "RowDescription").find((d) => d.fields.length === 24)!
    expect(desc.fields.map((f) => [f.name, f.typeOid])).toEqual([
      ["i2", 21], ["i4", 23], ["i8", 20], ["f4", 700], ["f8", 701], ["num", 1700], ["b", 16], ["t", 25], ["vc", 1043],
      ["c", 1042], ["nm", 19], ["ba", 17], ["u", 2950], ["j", 114], ["jb", 3802], ["d", 1082], ["tm", 1083], ["ts", 1114],
      ["tstz", 1184], ["iv", 1186], ["ai", 1007], ["at", 1009], ["nul", 25], ["o", 26]
    ])
    expect(desc.fields.every((f) => f.format === 0 && f.tableOid === 0)).toBe(true)
    expect(desc.fields.find((f) => f.name === "i8")!.typeSize).toBe(8)
    expect(desc.fields.find((f) => f.name === "c")!.typeModifier).toBe(3 + 4)
    expect(dataRowsText(be)).toContainEqual([
      "1", "2", "3", "1.5", "2.25", "12.345", "t", "text", "vc", "x  ", "nm", "\\xdeadbeef", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      '{"a": 1}', '{"b": 2}', "2024-02-29", "12:34:56.789", "2024-02-29 12:34:56.789", "2024-02-29 12:34:56.789+00",
      "1 year 2 mons 3 days 04:05:06", "{1,2,NULL}", '{a,"b c"}', null, "42"
    ])
  })

  it("backend: errors with their SQLSTATE and fields, notices, transaction status", () => {
    const errors = ofTag(be, "ErrorResponse").map((e) => e.fields)
    expect(errors.map((f) => f.code)).toEqual(["42601", "42P01", "22012", "23505"])
    expect(errors[0]).toMatchObject({ severity: "ERROR", severityNonLocalized: "ERROR", message: 'syntax error at or near "SELEC"', position: "1" })
    expect(errors[1]).toMatchObject({ message: 'relation "missing_table" does not exist', position: "15" })
    expect(errors[3]).toMatchObject({
      detail: "Key (id)=(1) already exists.",
      schemaName: "public",
      tableName: "golden_copy",
      constraintName: "golden_copy_pkey"
    })
    const notices = ofTag(be, "NoticeResponse").map((n) => n.fields)
    expect(notices.map((n) => [n.severity, n.code, n.message])).toEqual([
      ["NOTICE", "00000", "hello"],
      ["WARNING", "25P01", "there is no transaction in progress"]
    ])
    expect(notices[0]!.where).toContain("PL/pgSQL")
    // BEGIN puts the session in a block (T); an error in it makes it failed (E) until ROLLBACK.
    const statuses = ofTag(be, "ReadyForQuery").map((z) => z.status).join("")
    expect(statuses).toContain("TTI")
    expect(statuses).toContain("TEI")
  })

  it("backend: command tags", () => {
    const tags = commandTags(be)
    for (const tag of ["CREATE TABLE", "DO", "BEGIN", "INSERT 0 1", "COMMIT", "ROLLBACK", "SET", "LISTEN", "NOTIFY", "UNLISTEN", "DROP TABLE"]) {
      expect(tags).toContain(tag)
    }
    expect(tags.filter((t) => t.startsWith("COPY"))).toEqual(["COPY 2", "COPY 2", "COPY 5", "COPY 5", "COPY 2"])
  })

  it("backend: COPY in and out responses with their formats and data", () => {
    expect(ofTag(be, "CopyInResponse")).toEqual([
      { _tag: "CopyInResponse", format: 0, columnFormats: [0, 0, 0] },
      { _tag: "CopyInResponse", format: 0, columnFormats: [0, 0, 0] }
    ])
    expect(ofTag(be, "CopyOutResponse")).toEqual([
      { _tag: "CopyOutResponse", format: 0, columnFormats: [0, 0, 0] },
      { _tag: "CopyOutResponse", format: 0, columnFormats: [0, 0, 0] },
      { _tag: "CopyOutResponse", format: 1, columnFormats: [1, 1] }
    ])
    const copyData = ofTag(be, "CopyData").map((d) => Buffer.from(d.data))
    expect(copyData.slice(0, 5).map((d) => d.toString())).toEqual([
      "1\tone\t\\N\n", "2\ttwo\t\\N\n", "3\tthree\ttab\\there\n", "4\tfour\tquoted, with comma\n", "5\tfive\t\\N\n"
    ])
    expect(copyData[5]!.toString()).toBe("id,name,note\n")
    expect(copyData[9]!.toString()).toBe('4,four,"quoted, with comma"\n')
    // Binary COPY: the 11-byte signature, flags and header extension, then tuples, then -1.
    expect(copyData).toHaveLength(14)
    expect(copyData[11]!.subarray(0, 11)).toEqual(Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"))
    expect(copyData[13]).toEqual(Buffer.from([0xff, 0xff]))
    expect(ofTag(be, "CopyDone")).toHaveLength(3)
  })

  it("backend: NOTIFY on our own channel arrives as NotificationResponse from our own backend", () => {
    const key = ofTag(be, "BackendKeyData")[0]!
    expect(ofTag(be, "NotificationResponse")).toEqual([
      { _tag: "NotificationResponse", processId: key.processId, channel: "golden_channel", payload: "hello from psql" },
      { _tag: "NotificationResponse", processId: key.processId, channel: "golden_channel", payload: "second" }
    ])
  })

  it("\\lo_import: FunctionCall to lo_creat/lo_open/lowrite/lo_close and their FunctionCallResponse", () => {
    const calls = ofTag(fe, "FunctionCall")
    expect(calls.map((c) => c.functionOid)).toEqual([957, 952, 955, 953])
    expect(calls.every((c) => c.resultFormat === 1 && c.argFormats.length === 1 && c.argFormats[0] === 1)).toBe(true)
    expect(text(calls[2]!.args[1]!)).toBe("2\ttwo\t\\N\n3\tthree\ttab\\there\n")
    const results = ofTag(be, "FunctionCallResponse").map((r) => Buffer.from(r.result!).readInt32BE(0))
    const oid = results[0]!
    expect(results.slice(1)).toEqual([0, 27, 0]) // fd 0, 27 bytes written, close ok
    expect(ofTag(fe, "Query").at(-1)!.sql).toBe(`SELECT lo_unlink(${oid});`)
  })
})

describe("pg-extended", () => {
  const { fe, be } = decoded("pg-extended")
  const parses = ofTag(fe, "Parse")
  const binds = ofTag(fe, "Bind")

  it("frontend: Parse/Bind/Describe/Execute/Sync per query; the named statement is parsed once and bound twice", () => {
    expect(fe[0]).toMatchObject({ _tag: "StartupMessage", parameters: { user: "trust_user", client_encoding: "UTF8" } })
    expect(parses[0]).toEqual({ _tag: "Parse", name: "", sql: "SELECT $1::int4 + $2::int4 AS sum, $3::text AS label", paramTypes: [] })
    expect(binds[0]).toMatchObject({ portal: "", statement: "", paramFormats: [0, 0, 0], resultFormats: [0] })
    expect(binds[0]!.params.map(text)).toEqual(["1", "2", "x"])
    expect(parses.filter((p) => p.name === "golden_named")).toHaveLength(1)
    expect(binds.filter((b) => b.statement === "golden_named").map((b) => text(b.params[0]!))).toEqual(["21", "50"])
  })

  it("frontend: a Buffer parameter travels in binary, binary results are asked for with result format 1", () => {
    const insert = binds.find((b) => b.statement === "golden_insert")!
    expect(insert.paramFormats).toEqual([0, 0, 1])
    expect(Buffer.from(insert.params[2]!)).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]))
    expect(binds.find((b) => b.resultFormats[0] === 1)!.params.map(text)).toEqual(["7"])
  })

  it("frontend: the cursor binds portal C_1, executes 4 rows at a time with Flush, then closes it", () => {
    expect(tagRuns(fe.slice(fe.findIndex((m) => m._tag === "Bind" && m.portal === "C_1")))).toEqual(
      expect.arrayContaining(["Bind", "Describe", "Flush", "Execute", "Close", "Sync"])
    )
    expect(ofTag(fe, "Execute").filter((e) => e.portal === "C_1").map((e) => e.maxRows)).toEqual([4, 4, 4])
    expect(ofTag(fe, "Describe")).toContainEqual({ _tag: "Describe", kind: "P", name: "C_1" })
    expect(ofTag(fe, "Close")).toEqual([{ _tag: "Close", kind: "P", name: "C_1" }])
  })

  it("frontend: COPY FROM STDIN data, and a CopyFail with the client's message", () => {
    expect(ofTag(fe, "CopyData").map((d) => text(d.data))).toEqual(["2\ttwo\n3\tthree\n", "4\tfour\n"])
    expect(ofTag(fe, "CopyDone")).toHaveLength(1)
    expect(ofTag(fe, "CopyFail")).toEqual([{ _tag: "CopyFail", message: "golden abort" }])
    expect(fe.at(-1)).toEqual({ _tag: "Terminate" })
  })

  it("backend: results, NoData for INSERT, binary values, PortalSuspended, CloseComplete", () => {
    expectSessionStart(be, "trust_user")
    expect(dataRowsText(be).slice(0, 3)).toEqual([["3", "x"], ["42"], ["100"]])
    const noDataAt = be.findIndex((m) => m._tag === "NoData")
    expect(be[noDataAt + 1]).toEqual({ _tag: "CommandComplete", tag: "INSERT 0 1" })

    const binaryDesc = ofTag(be, "RowDescription").find((d) => d.fields[0]!.format === 1)!
    expect(binaryDesc.fields.map((f) => [f.name, f.typeOid, f.format])).toEqual([
      ["i4", 23, 1], ["i2", 21, 1], ["i8", 20, 1], ["f8", 701, 1], ["b", 16, 1], ["t", 25, 1], ["ba", 17, 1],
      ["u", 2950, 1], ["tstz", 1184, 1], ["num", 1700, 1], ["ai", 1007, 1], ["nul", 25, 1]
    ])
    const binaryRow = ofTag(be, "DataRow")[be.slice(0, be.indexOf(binaryDesc)).filter((m) => m._tag === "DataRow").length]!
    const hex = binaryRow.values.map((v) => (v === null ? null : Buffer.from(v).toString("hex")))
    expect(hex.slice(0, 8)).toEqual([
      "00000007", "0002", "0000000000000003", "3ff8000000000000", "01", Buffer.from("txt").toString("hex"), "deadbeef",
      "a0eebc999c0b4ef8bb6d6bb9bd380a11"
    ])
    // 2024-02-29 12:34:56.789 UTC in microseconds since 2000-01-01.
    expect(Buffer.from(binaryRow.values[8]!).readBigInt64BE(0)).toBe(762525296789000n)
    // numeric 12.345: 2 digits (base 10000), weight 0, positive, dscale 3: 12, 3450.
    expect(hex[9]).toBe("0002" + "0000" + "0000" + "0003" + "000c" + "0d7a")
    expect(hex[11]).toBeNull()

    const cursorAt = be.findIndex((m) => m._tag === "RowDescription" && m.fields[0]!.name === "g")
    expect(tagRuns(be.slice(cursorAt, cursorAt + 16))).toEqual([
      "RowDescription", "DataRow x4", "PortalSuspended", "DataRow x4", "PortalSuspended", "DataRow x2", "CommandComplete",
      "CloseComplete", "ReadyForQuery"
    ])
    expect(be[cursorAt + 13]).toEqual({ _tag: "CommandComplete", tag: "SELECT 2" })
  })

  it("backend: 22012 fails the Bind (the planner folds 1/$1), 42601 fails the Parse; both skip to Sync", () => {
    const errorAts = be.flatMap((m, i) => (m._tag === "ErrorResponse" ? [i] : []))
    const [div, syntax, copyFail] = errorAts.map((i) => be[i] as Tagged<BackendMessage, "ErrorResponse">)
    expect(div!.fields.code).toBe("22012")
    expect(be[errorAts[0]! - 1]!._tag).toBe("ParseComplete")
    expect(be[errorAts[0]! + 1]).toEqual({ _tag: "ReadyForQuery", status: "I" })
    expect(syntax!.fields).toMatchObject({ code: "42601", position: "1" })
    expect(be[errorAts[1]! - 1]).toEqual({ _tag: "ReadyForQuery", status: "I" })
    expect(be[errorAts[1]! + 1]).toEqual({ _tag: "ReadyForQuery", status: "I" })
    expect(copyFail!.fields).toMatchObject({ code: "57014", message: "COPY from stdin failed: golden abort" })
    expect(dataRowsText(be)).toContainEqual(["alive"])
  })

  it("backend: COPY responses and the csv copy-out", () => {
    expect(ofTag(be, "CopyInResponse").map((c) => c.columnFormats)).toEqual([[0, 0], [0, 0]])
    expect(ofTag(be, "CopyOutResponse")).toEqual([{ _tag: "CopyOutResponse", format: 0, columnFormats: [0, 0] }])
    expect(ofTag(be, "CopyData").map((d) => text(d.data)).join("")).toBe("1,bin\n2,two\n3,three\n")
    expect(commandTags(be)).toEqual(expect.arrayContaining(["COPY 2", "COPY 3", "DROP TABLE"]))
  })
})

describe("psycopg-pipeline", () => {
  const { fe, be } = decoded("psycopg-pipeline")

  it("frontend: three queries before one Sync, then two more before the next", () => {
    expect(tagRuns(fe).join(" ")).toBe(
      "StartupMessage Parse Bind Describe Execute Parse Bind Describe Execute Parse Bind Describe Execute Sync " +
        "Parse Bind Describe Execute Parse Bind Describe Execute Sync Terminate"
    )
    const binds = ofTag(fe, "Bind")
    expect(binds[0]!.paramFormats).toEqual([1, 1])
    expect(Buffer.from(binds[0]!.params[0]!).toString("hex")).toBe("0001")
    expect(ofTag(fe, "Parse")[0]!.paramTypes).toEqual([21, 25])
    expect(ofTag(fe, "Parse")[4]!.name).toBe("_pg3_0")
  })

  it("backend: the error ends the first pipeline's results: the third query is skipped until Sync", () => {
    const firstReady = be.findIndex((m) => m._tag === "ReadyForQuery")
    expect(tagRuns(be.slice(firstReady + 1)).join(" ")).toBe(
      "ParseComplete BindComplete RowDescription DataRow CommandComplete ParseComplete ErrorResponse ReadyForQuery " +
        "ParseComplete BindComplete RowDescription DataRow CommandComplete ParseComplete BindComplete RowDescription DataRow " +
        "CommandComplete ReadyForQuery"
    )
    expect(ofTag(be, "ErrorResponse")[0]!.fields.code).toBe("22012")
    expect(dataRowsText(be)).toEqual([["1", "binary param"], ["42"], ["pipelined"]])
  })
})

describe("postgres-js", () => {
  const { fe, be } = decoded("postgres-js")

  it("describes the named statement once (ParameterDescription) and binds it twice", () => {
    expect(tagRuns(fe).join(" ")).toBe("StartupMessage Parse Describe Flush Bind Execute Sync Bind Execute Sync Terminate")
    const parse = ofTag(fe, "Parse")[0]!
    expect(parse.name).not.toBe("")
    expect(parse.paramTypes).toEqual([0, 0])
    expect(ofTag(fe, "Describe")).toEqual([{ _tag: "Describe", kind: "S", name: parse.name }])
    expect(ofTag(fe, "Bind").map((b) => [b.statement, b.params.map(text)])).toEqual([
      [parse.name, ["1", "x"]],
      [parse.name, ["2", "y"]]
    ])
    expect(ofTag(be, "ParameterDescription")).toEqual([{ _tag: "ParameterDescription", typeOids: [23, 25] }])
    expect(dataRowsText(be)).toEqual([["1", "x"], ["2", "y"]])
  })
})

describe("logins", () => {
  it("scram-login: SASL exchange then the query", () => {
    const { fe, be } = decoded("scram-login")
    expect(tagRuns(fe)).toEqual(["StartupMessage", "SASLInitialResponse", "SASLResponse", "Query", "Terminate"])
    expect(ofTag(fe, "SASLInitialResponse")[0]!.mechanism).toBe("SCRAM-SHA-256")
    expect(be[0]).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
    expectSessionStart(be, "scram_user")
    expect(dataRowsText(be)).toEqual([["scram_user"]])
  })

  it("md5-login: AuthenticationMD5Password with a 4-byte salt, one PasswordMessage", () => {
    const { fe, be } = decoded("md5-login")
    expect(tagRuns(fe)).toEqual(["StartupMessage", "PasswordMessage", "Query", "Terminate"])
    const request = be[0] as Tagged<BackendMessage, "AuthenticationMD5Password">
    expect(request._tag).toBe("AuthenticationMD5Password")
    expect(request.salt.byteLength).toBe(4)
    expect(ofTag(fe, "PasswordMessage")[0]!.password).toMatch(/^md5[0-9a-f]{32}$/)
    expectSessionStart(be, "md5_user")
  })

  it("password-login: AuthenticationCleartextPassword answered with the password itself", () => {
    const { fe, be } = decoded("password-login")
    expect(be[0]).toEqual({ _tag: "AuthenticationCleartextPassword" })
    expect(ofTag(fe, "PasswordMessage")).toEqual([{ _tag: "PasswordMessage", password: "password_pass" }])
    expectSessionStart(be, "password_user")
  })
})

describe("startup variants", () => {
  it("ssl-refused: SSLRequest answered 'N', then a plain StartupMessage", () => {
    const { capture, fe, be } = decoded("ssl-refused")
    expect(capture.sslAnswer).toBe("N".charCodeAt(0))
    expect(tagRuns(fe)).toEqual(["SSLRequest", "StartupMessage", "Query", "Terminate"])
    expect(be[0]).toEqual({ _tag: "AuthenticationOk" })
    expectSessionStart(be, "trust_user")
  })

  it("negotiate-3.2: PostgreSQL 15 answers a 3.2 StartupMessage with NegotiateProtocolVersion", () => {
    const { fe, be } = decoded("negotiate-3.2")
    expect(fe[0]).toEqual({
      _tag: "StartupMessage",
      protocolVersion: { major: 3, minor: 2 },
      parameters: { user: "trust_user", database: "postgres", application_name: "golden-raw", "_pq_.golden_option": "on" }
    })
    // PostgreSQL up to 17 sends its whole latest version code here (3 << 16 | 0), not just the
    // minor number the documentation names; libpq 18 compares it as a whole version code.
    expect(be[0]).toEqual({ _tag: "NegotiateProtocolVersion", newestVersion: 0x30000, unrecognizedOptions: ["_pq_.golden_option"] })
    expect(be[1]).toEqual({ _tag: "AuthenticationOk" })
    expectSessionStart(be, "trust_user")
    expect(dataRowsText(be)).toEqual([["1"]])
  })

  it("cancel: the CancelRequest carries the BackendKeyData of the other connection, whose query ends 57014", () => {
    const query = decoded("cancel-query")
    const cancel = decoded("cancel-request")
    const key = ofTag(query.be, "BackendKeyData")[0]!
    expect(cancel.fe).toEqual([{ _tag: "CancelRequest", processId: key.processId, secretKey: key.secretKey }])
    expect(cancel.be).toEqual([])
    expect(ofTag(query.fe, "Query")[0]!.sql).toBe("SELECT pg_sleep(30)")
    expect(ofTag(query.be, "ErrorResponse")[0]!.fields).toMatchObject({ code: "57014", message: "canceling statement due to user request" })
    expect(query.be.at(-1)).toEqual({ _tag: "ReadyForQuery", status: "I" })
  })
})

describe("replication-create-slot", () => {
  const { fe, be } = decoded("replication-create-slot")

  it("replication=database startup, IDENTIFY_SYSTEM and CREATE_REPLICATION_SLOT results", () => {
    expect((fe[0] as Tagged<FrontendMessage, "StartupMessage">).parameters.replication).toBe("database")
    expect(ofTag(fe, "Query").map((q) => q.sql).slice(2)).toEqual([
      "IDENTIFY_SYSTEM",
      'CREATE_REPLICATION_SLOT "golden_slot" LOGICAL "pgoutput" ( SNAPSHOT \'nothing\')'
    ])
    const descs = ofTag(be, "RowDescription").map((d) => d.fields.map((f) => f.name))
    expect(descs.slice(2)).toEqual([
      ["systemid", "timeline", "xlogpos", "dbname"],
      ["slot_name", "consistent_point", "snapshot_name", "output_plugin"]
    ])
    const [identify, slot] = dataRowsText(be).slice(2)
    expect(identify![0]).toMatch(/^\d+$/)
    expect(identify![1]).toBe("1")
    expect(identify![2]).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    expect(identify![3]).toBe("postgres")
    expect(slot![0]).toBe("golden_slot")
    expect(slot![2]).toBeNull()
    expect(slot![3]).toBe("pgoutput")
    expect(commandTags(be).slice(2)).toEqual(["IDENTIFY_SYSTEM", "CREATE_REPLICATION_SLOT"])
  })
})
