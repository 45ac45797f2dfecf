import { describe, expect, it } from "@effect/vitest"
import { codecForOid, type DataRow, Oid, Writer } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import { Testing } from "../src/testing/Testing.js"
import {
  bind,
  demoServer,
  describePortal,
  exchange,
  execute,
  makeProbe,
  parse,
  receiveUntilReady,
  sync,
  text,
  valueFields,
  valueRow
} from "./extendedSupport.js"

const withServer = <A, E>(f: Effect.Effect<A, E, any>) => Effect.flatMap(makeProbe, (probe) => Effect.provide(f, demoServer(probe)))

/** A value in binary format, as a client would send it. */
const binary = (oid: number, value: unknown): Uint8Array => {
  const w = new Writer(32)
  codecForOid(oid).encodeBinary(w, value)
  return w.take()
}

/** The DataRow of an exchange, each cell decoded with its column's codec in the format it was sent in. */
const decodedRow = (messages: ReadonlyArray<{ _tag: string }>, oids: ReadonlyArray<number>, formats: ReadonlyArray<0 | 1>) => {
  const row = messages.find((m): m is DataRow => m._tag === "DataRow")!
  return row.values.map((v, i) => {
    if (v === null) return null
    const codec = codecForOid(oids[i]!)
    return formats[i] === 1 ? codec.decodeBinary(v, 0, v.byteLength) : codec.decodeText(new TextDecoder().decode(v))
  })
}

const valueOids = valueFields.map((f) => f.typeOid)

describe("extended query: formats", () => {
  it.scopedLive("result formats: none (all text), one (all binary), one per column (mixed); RowDescription shows them", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        const cases: ReadonlyArray<readonly [ReadonlyArray<number>, ReadonlyArray<0 | 1>]> = [
          [[], valueOids.map(() => 0)],
          [[0], valueOids.map(() => 0)],
          [[1], valueOids.map(() => 1)],
          [valueOids.map((_, i) => i % 2), valueOids.map((_, i) => (i % 2) as 0 | 1)]
        ]
        for (const [codes, formats] of cases) {
          yield* c.sendMessage(parse("values"), bind("", [], { resultFormats: codes }), describePortal(), execute(), sync)
          const answer = yield* receiveUntilReady(c)
          const description = answer.find((m) => m._tag === "RowDescription")
          expect(description).toMatchObject({ fields: formats.map((format, i) => ({ typeOid: valueOids[i], format })) })
          expect(decodedRow(answer, valueOids, formats)).toEqual([
            42,
            9007199254740993n,
            "héllo",
            true,
            2.5,
            new Uint8Array([0xca, 0xfe]),
            "12.50",
            "2024-02-29",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            [1, null, 3]
          ])
        }
        expect(valueRow).toHaveLength(valueOids.length)
      })
    )
  )

  it.scopedLive("parameter formats: none (text), one for all, one per parameter; values decoded with the parameter types' codecs", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        const types = [Oid.int4, Oid.int8, Oid.bool, Oid.bytea, Oid.uuid, Oid._int4, Oid.numeric, Oid.timestamptz]
        const values = [-7, 1n << 62n, false, new Uint8Array([0, 255]), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", [4, 5], "-1.5", "2024-01-02 03:04:05.5+00"]
        const sql = `echo ${types.map((_, i) => `$${i + 1}`).join(" ")}`
        const asText = values.map((v, i) => text(codecForOid(types[i]!).encodeText(v)))
        const asBinary = values.map((v, i) => binary(types[i]!, v))
        const formatCases: ReadonlyArray<readonly [ReadonlyArray<number>, ReadonlyArray<Uint8Array>]> = [
          [[], asText],
          [[0], asText],
          [[1], asBinary],
          [types.map((_, i) => i % 2), types.map((_, i) => (i % 2 === 1 ? asBinary[i]! : asText[i]!))]
        ]
        for (const [paramFormats, params] of formatCases) {
          // binary results too: what came in is what goes back out, type for type
          yield* c.sendMessage(parse(sql, "", types), bind("", params, { paramFormats, resultFormats: [1] }), execute(), sync)
          const answer = yield* receiveUntilReady(c)
          expect(decodedRow(answer, types, types.map(() => 1))).toEqual(values)
        }
        // NULL in either format
        yield* c.sendMessage(parse("echo $1 $2", "", [Oid.int4, Oid.text]), bind("", [null, null], { paramFormats: [1] }), execute(), sync)
        expect(decodedRow(yield* receiveUntilReady(c), [Oid.int4, Oid.text], [0, 0])).toEqual([null, null])
      })
    )
  )

  it.scopedLive("parameters of unknown type (OID 0) arrive as text", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("echo $1", "", [0]), bind("", [text("anything")]), describePortal(), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "RowDescription p1:25:0",
          "DataRow anything",
          "CommandComplete SELECT 1",
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("bad format counts are 08P01, a format code other than 0/1 is 22023 (as PostgreSQL)", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("echo $1", "", [Oid.int4]), bind("", [text("1")], { paramFormats: [0, 0] }), sync)).toEqual([
          "ParseComplete",
          "Error 08P01 bind message has 2 parameter formats but 1 parameters",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("values"), bind("", [], { resultFormats: [0, 1] }), sync)).toEqual([
          "ParseComplete",
          `Error 08P01 bind message has 2 result formats but query has ${valueOids.length} columns`,
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("echo $1", "", [Oid.int4]), bind("", [text("1")], { paramFormats: [2] }), sync)).toEqual([
          "ParseComplete",
          "Error 22023 unsupported format code: 2",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("values"), bind("", [], { resultFormats: [-1] }), sync)).toEqual([
          "ParseComplete",
          "Error 22023 unsupported format code: -1",
          "RFQ I"
        ])
        // a statement without rows ignores result formats (PostgreSQL does too)
        expect(yield* exchange(c, parse("insert"), bind("", [], { resultFormats: [0, 1, 0] }), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "CommandComplete INSERT 0 1",
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("a parameter that does not decode: 22P02 in text, 22P03 in binary, 22021 for bad UTF-8", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* c.sendMessage(parse("echo $1", "", [Oid.int4]), bind("", [text("twelve")]), sync)
        const textError = yield* receiveUntilReady(c)
        expect(textError[1]).toMatchObject({ _tag: "ErrorResponse", fields: { code: "22P02", where: "unnamed portal parameter $1 = 'twelve'" } })
        expect(yield* exchange(c, parse("echo $1", "", [Oid.int4]), bind("", [new Uint8Array([1, 2, 3])], { paramFormats: [1], portal: "p" }), sync)).toEqual([
          "ParseComplete",
          "Error 22P03 incorrect binary data format in bind parameter 1",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("echo $1", "", [Oid.text]), bind("", [new Uint8Array([0xff])]), sync)).toEqual([
          "ParseComplete",
          'Error 22021 invalid byte sequence for encoding "UTF8" in bind parameter 1',
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("echo $1", "", [Oid.bool]), bind("", [new Uint8Array([7, 7])], { paramFormats: [1] }), sync)).toEqual([
          "ParseComplete",
          "Error 22P03 incorrect binary data format in bind parameter 1",
          "RFQ I"
        ])
      })
    )
  )
})
