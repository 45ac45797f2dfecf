#!/usr/bin/env node
// Generates packages/protocol/src/types/oids.ts from PostgreSQL's pg_type.dat.
//
// pg_type.dat is a Perl data file: a list of hashes `{ key => 'value', ... }`
// with `#` comments and single-quoted strings (backslash escapes). We tokenize
// it rather than regex-match lines, so entries that span lines, quotes inside
// descriptions and comments in odd places all parse. Array types that
// genbki.pl derives from `array_type_oid` are derived here the same way.
//
// Usage: node packages/protocol/scripts/gen-oids.mjs [path/to/pg_type.dat]
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const source = process.argv[2] ?? "/work/shared/reference/pg_type.dat"
const target = join(here, "..", "src", "types", "oids.ts")

/** Splits Perl data into tokens: punctuation, `=>`, barewords and quoted strings. */
function tokenize(text) {
  const tokens = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i]
    if (c === "#") {
      while (i < n && text[i] !== "\n") i++
    } else if (/\s/.test(c)) {
      i++
    } else if (c === "[" || c === "]" || c === "{" || c === "}" || c === ",") {
      tokens.push({ kind: c })
      i++
    } else if (c === "=" && text[i + 1] === ">") {
      tokens.push({ kind: "=>" })
      i += 2
    } else if (c === "'" || c === '"') {
      let value = ""
      i++
      while (i < n && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < n) {
          value += text[i + 1]
          i += 2
        } else {
          value += text[i++]
        }
      }
      if (i >= n) throw new Error(`unterminated string at offset ${i}`)
      i++
      tokens.push({ kind: "str", value })
    } else if (/[A-Za-z0-9_]/.test(c)) {
      let j = i
      while (j < n && /[A-Za-z0-9_]/.test(text[j])) j++
      tokens.push({ kind: "str", value: text.slice(i, j) })
      i = j
    } else {
      throw new Error(`unexpected character ${JSON.stringify(c)} at offset ${i}`)
    }
  }
  return tokens
}

/** Parses `[ {k => v, ...}, ... ]` into plain objects. */
function parse(tokens) {
  let p = 0
  const expect = (kind) => {
    const t = tokens[p++]
    if (!t || t.kind !== kind) throw new Error(`expected ${kind}, got ${t ? t.kind : "end of input"} at token ${p - 1}`)
    return t
  }
  expect("[")
  const rows = []
  while (tokens[p] && tokens[p].kind !== "]") {
    expect("{")
    const row = {}
    while (tokens[p] && tokens[p].kind !== "}") {
      const key = expect("str").value
      expect("=>")
      row[key] = expect("str").value
      if (tokens[p] && tokens[p].kind === ",") p++
    }
    expect("}")
    rows.push(row)
    if (tokens[p] && tokens[p].kind === ",") p++
  }
  expect("]")
  return rows
}

// Symbolic typlen values, as defined in pg_config_manual.h / the build (64-bit).
const SYMBOLS = { NAMEDATALEN: 64, SIZEOF_POINTER: 8 }
const typlenOf = (v) => {
  if (v in SYMBOLS) return SYMBOLS[v]
  const n = Number(v)
  if (!Number.isInteger(n)) throw new Error(`unknown typlen ${v}`)
  return n
}

const rows = parse(tokenize(readFileSync(source, "utf8")))
const byName = new Map()
const types = []
for (const row of rows) {
  if (!row.oid || !row.typname) throw new Error(`entry without oid/typname: ${JSON.stringify(row)}`)
  const t = {
    oid: Number(row.oid),
    name: row.typname,
    arrayOid: row.array_type_oid ? Number(row.array_type_oid) : 0,
    elemName: row.typelem ?? null,
    typlen: typlenOf(row.typlen),
    category: row.typcategory,
    delimiter: row.typdelim ?? ",",
    typtype: row.typtype ?? "b",
    arrayName: row.typarray ?? null
  }
  types.push(t)
  byName.set(t.name, t)
}
// genbki.pl: `array_type_oid` makes an array type `_name`, category A, varlena, same delimiter.
for (const t of [...types]) {
  if (t.arrayOid === 0) continue
  const a = {
    oid: t.arrayOid,
    name: `_${t.name}`,
    arrayOid: 0,
    elemName: t.name,
    typlen: -1,
    category: "A",
    delimiter: t.delimiter,
    typtype: "b",
    arrayName: null
  }
  types.push(a)
  byName.set(a.name, a)
}
// Explicit `typarray => '_name'` references (e.g. record -> _record).
for (const t of types) {
  if (t.arrayName && t.arrayOid === 0) {
    const a = byName.get(t.arrayName)
    if (!a) throw new Error(`${t.name}: unknown typarray ${t.arrayName}`)
    t.arrayOid = a.oid
  }
}
const seen = new Map()
for (const t of types) {
  if (!Number.isInteger(t.oid) || t.oid <= 0) throw new Error(`bad oid for ${t.name}`)
  if (seen.has(t.oid)) throw new Error(`duplicate oid ${t.oid}: ${seen.get(t.oid)} and ${t.name}`)
  seen.set(t.oid, t.name)
}
types.sort((a, b) => a.oid - b.oid)
const elemOidOf = (t) => {
  if (!t.elemName) return 0
  const e = byName.get(t.elemName)
  if (!e) throw new Error(`${t.name}: unknown typelem ${t.elemName}`)
  return e.oid
}

const ident = (name) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name))
const lines = []
lines.push(`// GENERATED by packages/protocol/scripts/gen-oids.mjs from ${source.split("/").pop()}. Do not edit.`)
lines.push(`// Re-run: node packages/protocol/scripts/gen-oids.mjs [path/to/pg_type.dat]`)
lines.push(``)
lines.push(`/** Built-in PostgreSQL type OIDs by pg_type.typname; array types are \`_\` + element name (\`Oid._int4 === 1007\`). */`)
lines.push(`export const Oid = {`)
for (const t of types) lines.push(`  ${ident(t.name)}: ${t.oid},`)
lines.push(`} as const`)
lines.push(``)
lines.push(`export type OidName = keyof typeof Oid`)
lines.push(``)
lines.push(`/** One row of pg_type, the columns a wire-protocol implementation needs. */`)
lines.push(`export interface PgTypeInfo {`)
lines.push(`  readonly oid: number`)
lines.push(`  readonly name: string`)
lines.push(`  /** OID of this type's array type, 0 if none. */`)
lines.push(`  readonly arrayOid: number`)
lines.push(`  /** For array (and fixed-length "vector") types, the element type's OID; 0 otherwise. */`)
lines.push(`  readonly elemOid: number`)
lines.push(`  /** Bytes of a fixed-size value; -1 varlena, -2 NUL-terminated C string. */`)
lines.push(`  readonly typlen: number`)
lines.push(`  /** pg_type.typcategory: A array, B boolean, D date/time, N numeric, S string, U user... */`)
lines.push(`  readonly category: string`)
lines.push(`  /** Element delimiter in the text array format (',' except box ';'). */`)
lines.push(`  readonly delimiter: string`)
lines.push(`  /** pg_type.typtype: b base, c composite, p pseudo, r range, m multirange. */`)
lines.push(`  readonly typtype: string`)
lines.push(`}`)
lines.push(``)
lines.push(`const rows: ReadonlyArray<PgTypeInfo> = [`)
for (const t of types) {
  lines.push(
    `  { oid: ${t.oid}, name: ${JSON.stringify(t.name)}, arrayOid: ${t.arrayOid}, elemOid: ${elemOidOf(t)}, typlen: ${t.typlen}, category: ${JSON.stringify(t.category)}, delimiter: ${JSON.stringify(t.delimiter)}, typtype: ${JSON.stringify(t.typtype)} },`
  )
}
lines.push(`]`)
lines.push(``)
lines.push(`/** Every built-in type, by OID. */`)
lines.push(`export const pgTypeByOid: ReadonlyMap<number, PgTypeInfo> = new Map(rows.map((r) => [r.oid, r]))`)
lines.push(`/** Every built-in type, by pg_type.typname (arrays as \`_name\`). */`)
lines.push(`export const pgTypeByName: ReadonlyMap<string, PgTypeInfo> = new Map(rows.map((r) => [r.name, r]))`)
lines.push(`/** All built-in types in OID order. */`)
lines.push(`export const pgTypes: ReadonlyArray<PgTypeInfo> = rows`)
lines.push(``)
writeFileSync(target, lines.join("\n"))
console.log(`wrote ${relative(process.cwd(), target)}: ${types.length} types`)
