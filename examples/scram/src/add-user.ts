/**
 * Adds a user to the users file, or changes their password:
 *   node examples/scram/dist/add-user.js --file users.txt --user alice [--password secret] [--iterations 4096]
 * Without --password the password is read from standard input (its first
 * line), so it stays out of the shell history: `echo "$PW" | add-user.js ...`.
 * Only the derived SCRAM verifier is written, never the password.
 */
import { makeScramVerifier } from "@pgwire-ts/protocol"
import { parseCommandLine } from "@pgwire-ts/server"
import { Effect } from "effect"
import { upsertUser } from "./usersFile.js"

const usage = "usage: add-user.js --file FILE --user NAME [--password PW | password on stdin] [--iterations N]"

const { flags, fail } = parseCommandLine(usage, {
  file: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  iterations: { type: "string" }
})

const file = flags.file ?? fail("--file is required")
const user = flags.user ?? fail("--user is required")
const iterations = flags.iterations === undefined ? undefined : Number(flags.iterations)
if (iterations !== undefined && !(Number.isInteger(iterations) && iterations >= 4096)) fail("--iterations must be an integer >= 4096")

const readStdin = async (): Promise<string> => {
  if (process.stdin.isTTY) process.stderr.write("password (ends at the first line break): ")
  let text = ""
  for await (const chunk of process.stdin) {
    text += String(chunk)
    if (text.includes("\n")) break
  }
  return text.split(/\r?\n/)[0]!
}

const password = flags.password ?? (await readStdin())
if (password === "") fail("the password is empty")

// PBKDF2 with a fresh random salt, SASLprep'ed as PostgreSQL does.
const verifier = makeScramVerifier(password, iterations === undefined ? undefined : { iterations })

await Effect.runPromise(upsertUser(file, user, verifier)).then(
  () => console.log(`${user}: SCRAM-SHA-256 verifier written to ${file}`),
  (e: { message: string }) => {
    console.error(e.message)
    process.exit(1)
  }
)
