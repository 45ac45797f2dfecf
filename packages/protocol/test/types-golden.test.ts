// Every value captured from PostgreSQL 15 by scripts/capture-types.mjs (golden/types.json):
// our text and binary decoders agree on it, our encoders reproduce PostgreSQL's own bytes
// and text, our text decoders normalize PostgreSQL's accepted input forms to what PostgreSQL
// outputs, reject what it rejects (with its SQLSTATE), and oids.ts matches pg_type.
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import { codecForOid, knownCodecForOid, pgTypeByOid, TypeDecodeError } from "../src/types/index.js"

interface GoldenValue {
  readonly type: string
  readonly oid: number
  readonly sql: string
  readonly text: string
  readonly binary: string
}
interface GoldenInput {
  readonly type: string
  readonly oid: number
  readonly input: string
  readonly text: string
}
interface GoldenError {
  readonly type: string
  readonly input: string
  readonly sqlState: string
  readonly message: string
}
interface CatalogRow {
  readonly oid: string
  readonly typname: string
  readonly typarray: string
  readonly typlen: string
  readonly typcategory: string
  readonly typelem: string
  readonly typdelim: string
  readonly typtype: string
}
interface Golden {
  readonly serverVersion: string
  readonly values: ReadonlyArray<GoldenValue>
  readonly inputs: ReadonlyArray<GoldenInput>
  readonly errors: ReadonlyArray<GoldenError>
  readonly catalog: ReadonlyArray<CatalogRow>
}

const here = path.dirname(fileURLToPath(import.meta.url))
const golden: Golden = JSON.parse(fs.readFileSync(path.join(here, "golden", "types.json"), "utf8"))
const typeOidByName = new Map(golden.values.map((v) => [v.type, v.oid]))

const w = new Writer(64)
const encodeBinary = (oid: number, value: unknown): string => {
  w.reset()
  codecForOid(oid).encodeBinary(w, value)
  return w.view().toString("hex")
}

// PostgreSQL writes an array's lower bounds when they are not 1 (`[0:2]={...}`); we drop them.
const keepsLowerBounds = (text: string): boolean => text.startsWith("[")

describe("golden values from PostgreSQL", () => {
  it("covers every codec and its array type", () => {
    const covered = new Set(golden.values.map((v) => v.oid))
    const names = [...new Set(golden.values.map((v) => v.type))]
    expect(names.length).toBeGreaterThanOrEqual(46)
    for (const v of golden.values) expect(knownCodecForOid(v.oid), v.type).toBeDefined()
    for (const oid of covered) {
      const info = pgTypeByOid.get(oid)!
      if (info.arrayOid !== 0) expect(covered.has(info.arrayOid), `${info.name}[] captured`).toBe(true)
    }
  })

  const byType = new Map<string, Array<GoldenValue>>()
  for (const v of golden.values) byType.set(v.type, [...(byType.get(v.type) ?? []), v])
  for (const [type, values] of byType) {
    describe(type, () => {
      for (const v of values) {
        it(`${v.sql.length > 80 ? v.sql.slice(0, 80) + "…" : v.sql} → ${v.text.length > 60 ? v.text.slice(0, 60) + "…" : v.text}`, () => {
          const codec = codecForOid(v.oid)
          expect(codec.name).toBe(type)
          const bytes = Buffer.from(v.binary, "hex")
          const fromText = codec.decodeText(v.text)
          const fromBinary = codec.decodeBinary(bytes, 0, bytes.length)
          expect(fromBinary).toEqual(fromText)
          // Decoding must not keep views into the input.
          bytes.fill(0xee)
          expect(fromBinary).toEqual(fromText)
          if (!keepsLowerBounds(v.text)) {
            expect(encodeBinary(v.oid, fromText)).toBe(v.binary)
            expect(codec.encodeText(fromText)).toBe(v.text)
          }
        })
      }
    })
  }
})

describe("PostgreSQL's input forms", () => {
  for (const v of golden.inputs) {
    it(`${v.type} ${JSON.stringify(v.input)} → ${JSON.stringify(v.text)}`, () => {
      const codec = codecForOid(v.oid)
      const value = codec.decodeText(v.input)
      expect(value).toEqual(codec.decodeText(v.text))
      if (!keepsLowerBounds(v.text)) expect(codec.encodeText(value)).toBe(v.text)
      // Encoders of string-valued types take the same input forms.
      if (typeof value === "string" || typeof value === "bigint") expect(codec.encodeText(v.input)).toBe(codec.encodeText(value))
    })
  }
})

describe("inputs PostgreSQL rejects", () => {
  for (const e of golden.errors) {
    it(`${e.type} ${JSON.stringify(e.input)}: ${e.sqlState}`, () => {
      const oid = typeOidByName.get(e.type)!
      let caught: unknown
      try {
        codecForOid(oid).decodeText(e.input)
      } catch (err) {
        caught = err
      }
      expect(caught, `accepted; PostgreSQL said: ${e.message}`).toBeInstanceOf(TypeDecodeError)
      const err = caught as TypeDecodeError
      expect(err.format).toBe("text")
      expect(err.sqlState, err.message).toBe(e.sqlState)
    })
  }
})

describe("oids.ts matches pg_type", () => {
  it(`every generated type is in PostgreSQL ${golden.serverVersion.split(" ")[0]} with the same name, array, length, category and element`, () => {
    const rows = new Map(golden.catalog.map((r) => [Number(r.oid), r]))
    for (const info of pgTypeByOid.values()) {
      const row = rows.get(info.oid)
      expect(row, info.name).toBeDefined()
      expect({
        name: info.name,
        arrayOid: info.arrayOid,
        typlen: info.typlen,
        category: info.category,
        elemOid: info.elemOid,
        delimiter: info.delimiter,
        typtype: info.typtype
      }).toEqual({
        name: row!.typname,
        arrayOid: Number(row!.typarray),
        typlen: Number(row!.typlen),
        category: row!.typcategory,
        elemOid: Number(row!.typelem),
        delimiter: row!.typdelim,
        typtype: row!.typtype
      })
    }
  })
})
