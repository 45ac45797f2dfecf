#!/usr/bin/env node
// Captures password hashes made by a real PostgreSQL into
// packages/protocol/test/auth-postgres.fixtures.json, for test/auth-postgres.test.ts:
// MD5 hashes and SCRAM-SHA-256 verifiers of known passwords, including passwords that
// exercise PostgreSQL's SASLprep (mapping, NFKC, prohibited and unassigned code points,
// bidi rules) and its fallback to the raw password.
// Usage (as root, PostgreSQL 15 binaries installed): node packages/protocol/scripts/capture-auth.mjs
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { startPostgres } from "../../../test-support/postgres.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))
const target = path.join(here, "..", "test", "auth-postgres.fixtures.json")

// [role, password, why, the password after SASLprep as we read RFC 4013 and pg_saslprep]
const scram = [
  ["fx_scram_ascii", "pencil", "ASCII: used as is", "pencil"],
  ["fx_scram_ascii_control", "bell\u0007", "pure ASCII skips SASLprep, control characters included", "bell\u0007"],
  ["fx_scram_nfkc", "\u2168", "ROMAN NUMERAL NINE: NFKC gives IX", "IX"],
  ["fx_scram_nothing", "I\u00adX", "SOFT HYPHEN is mapped to nothing", "IX"],
  ["fx_scram_space", "a\u00a0b\u3000c", "non-ASCII spaces are mapped to U+0020", "a b c"],
  ["fx_scram_prohibited", "caf\u00e9\u0007\u2168", "a control character among non-ASCII: prohibited, raw password", "caf\u00e9\u0007\u2168"],
  ["fx_scram_unassigned", "\u2168\u0221", "U+0221 was unassigned in Unicode 3.2: raw password", "\u2168\u0221"],
  ["fx_scram_emoji", "\u2168\u{1f511}", "an emoji is unassigned in Unicode 3.2: raw password", "\u2168\u{1f511}"],
  ["fx_scram_bidi_ok", "\ufe8d\u0628", "all right-to-left: NFKC maps the presentation form to U+0627", "\u0627\u0628"],
  ["fx_scram_bidi_bad", "\u0627\u2168", "right-to-left and left-to-right mixed: raw password", "\u0627\u2168"],
  ["fx_scram_bidi_ends", "\u0627a\u0628", "right-to-left with a left-to-right letter inside: raw password", "\u0627a\u0628"],
  ["fx_scram_only_nothing", "\u00ad", "maps to nothing: empty, so the raw password", "\u00ad"],
  ["fx_scram_nfkc_ligature", "\ufb01le", "LATIN SMALL LIGATURE FI: NFKC gives fi", "file"],
  ["fx_scram_combining", "e\u0301t\u00e9", "combining acute accent: NFKC composes it", "\u00e9t\u00e9"],
  ["fx_scram_zwsp", "a\u200bb", "ZERO WIDTH SPACE is both a non-ASCII space and mapped to nothing: space wins", "a b"],
  ["fx_scram_bidi_digits", "\u05d0 1 \u05d1", "right-to-left with neutral characters inside", "\u05d0 1 \u05d1"],
  ["fx_scram_astral", "\u00e9\u{1d400}", "MATHEMATICAL BOLD CAPITAL A (a surrogate pair): NFKC gives A", "\u00e9A"]
]
const md5 = [
  ["fx_md5_ascii", "secret", "ASCII"],
  ["fx_md5_utf8", "p\u00e4ssw\u00f6rd", "UTF-8 bytes are hashed as they are"]
]

const cluster = await startPostgres({
  defaultUsers: false,
  users: [
    ...scram.map(([name, password]) => ({ name, password, auth: "scram-sha-256" })),
    ...md5.map(([name, password]) => ({ name, password, auth: "md5" }))
  ]
})
try {
  const version = (await cluster.psql("SHOW server_version;")).trim()
  const rows = JSON.parse(
    await cluster.psql(
      "SET client_encoding = 'UTF8'; SELECT json_agg(json_build_array(rolname, rolpassword) ORDER BY rolname) FROM pg_authid WHERE rolname LIKE 'fx\\_%';"
    )
  )
  const stored = new Map(rows)
  const pick = (list) =>
    list.map(([user, password, why, prepared]) => {
      const hash = stored.get(user)
      if (typeof hash !== "string") throw new Error(`no password stored for ${user}`)
      return { user, password, why, ...(prepared === undefined ? {} : { saslprep: prepared }), stored: hash }
    })
  const fixtures = {
    capturedWith: `PostgreSQL ${version} (server_encoding UTF8) by packages/protocol/scripts/capture-auth.mjs`,
    scram: pick(scram),
    md5: pick(md5)
  }
  // Non-ASCII as \\u escapes, so invisible characters stay visible in the file.
  const json = JSON.stringify(fixtures, null, 2).replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
  fs.writeFileSync(target, json + "\n")
  console.log(`wrote ${path.relative(process.cwd(), target)}: ${fixtures.scram.length} SCRAM verifiers, ${fixtures.md5.length} MD5 hashes`)
} finally {
  await cluster.stop()
}
