/**
 * The server's certificate and key, read from the paths given on the command
 * line. A missing or unreadable file is a `TlsFilesError` naming the file, so
 * the server fails to start with a clear message instead of a stack trace.
 */
import type { TlsOptions } from "@pgwire-ts/server"
import { Data, Effect } from "effect"
import { readFile } from "node:fs/promises"

export class TlsFilesError extends Data.TaggedError("TlsFilesError")<{ readonly message: string }> {}

export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
  /** Optional CA bundle for client certificates. */
  readonly caFile?: string | undefined
}

const read = (what: string, path: string) =>
  Effect.tryPromise({
    try: () => readFile(path),
    catch: (e) => new TlsFilesError({ message: `cannot read the ${what} ${path}: ${(e as Error).message}` })
  })

/** TLS options with `required: true`: this server refuses every unencrypted session. */
export const loadTlsOptions = (files: TlsFiles): Effect.Effect<TlsOptions, TlsFilesError> =>
  Effect.gen(function* () {
    const cert = yield* read("certificate", files.certFile)
    const key = yield* read("private key", files.keyFile)
    const ca = files.caFile === undefined ? undefined : yield* read("CA bundle", files.caFile)
    return { cert, key, ca, required: true }
  })
