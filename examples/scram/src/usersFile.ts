/**
 * The users file: one user per line, in PgBouncer's auth_file layout,
 *   "alice" "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>"
 * (a `"` inside a name is doubled; lines starting with `;` or `#` are
 * comments). Only stored SCRAM verifiers are accepted, never a plaintext
 * password: whoever reads the file cannot log in with what is in it.
 */
import { formatScramVerifier, parseScramVerifier, type ScramVerifier } from "@pgwire-ts/protocol"
import { Data, Effect } from "effect"
import { randomBytes } from "node:crypto"
import { readFile, rename, writeFile } from "node:fs/promises"

export class UsersFileError extends Data.TaggedError("UsersFileError")<{ readonly message: string }> {}

export type Users = ReadonlyMap<string, ScramVerifier>

const LINE = /^"((?:[^"]|"")*)"\s+"((?:[^"]|"")*)"\s*$/

const unquote = (s: string): string => s.replace(/""/g, '"')
const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`

/** Parses the file's text; names the first bad line. */
export const parseUsers = (text: string, source = "users file"): Effect.Effect<Users, UsersFileError> =>
  Effect.suspend(() => {
    const users = new Map<string, ScramVerifier>()
    const lines = text.split(/\r?\n/)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim()
      if (line === "" || line.startsWith(";") || line.startsWith("#")) continue
      const bad = (why: string) => Effect.fail(new UsersFileError({ message: `${source}:${i + 1}: ${why}` }))
      const m = LINE.exec(line)
      if (m === null) return bad(`expected "user" "SCRAM-SHA-256$..."`)
      const name = unquote(m[1]!)
      if (name === "") return bad("empty user name")
      const verifier = parseScramVerifier(unquote(m[2]!))
      if (verifier === undefined) return bad(`the secret of "${name}" is not a SCRAM-SHA-256 verifier (plaintext passwords are refused)`)
      if (users.has(name)) return bad(`"${name}" appears twice`)
      users.set(name, verifier)
    }
    return Effect.succeed(users)
  })

/** The file's text for these users, in the order given. */
export const formatUsers = (users: Users): string =>
  [...users].map(([name, verifier]) => `${quote(name)} ${quote(formatScramVerifier(verifier))}\n`).join("")

/** Reads and parses the file; a missing file is an error unless `missingIsEmpty`. */
export const readUsers = (path: string, options?: { readonly missingIsEmpty?: boolean }): Effect.Effect<Users, UsersFileError> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (e) => e as NodeJS.ErrnoException
  }).pipe(
    Effect.catchAll((e) =>
      e.code === "ENOENT" && options?.missingIsEmpty === true
        ? Effect.succeed("")
        : Effect.fail(new UsersFileError({ message: `cannot read ${path}: ${e.message}` }))
    ),
    Effect.flatMap((text) => parseUsers(text, path))
  )

/**
 * Adds a user or replaces their verifier. The new file is written beside the
 * old one (mode 0600) and renamed over it, so a server reading it concurrently
 * sees the old file or the new one, never half of one.
 */
export const upsertUser = (path: string, name: string, verifier: ScramVerifier): Effect.Effect<void, UsersFileError> =>
  Effect.gen(function* () {
    if (name === "") return yield* Effect.fail(new UsersFileError({ message: "empty user name" }))
    if (/[\r\n\0]/.test(name)) return yield* Effect.fail(new UsersFileError({ message: "a user name cannot contain a line break or NUL" }))
    const users = new Map(yield* readUsers(path, { missingIsEmpty: true }))
    users.set(name, verifier)
    const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`
    yield* Effect.tryPromise({
      try: async () => {
        await writeFile(temp, formatUsers(users), { mode: 0o600 })
        await rename(temp, path)
      },
      catch: (e) => new UsersFileError({ message: `cannot write ${path}: ${(e as Error).message}` })
    })
  })
