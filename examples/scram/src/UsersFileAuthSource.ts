/**
 * An AuthSource over the users file. The file is read again when it changes
 * (its modification time), so `add-user` takes effect without a restart. A
 * file that became unreadable or malformed keeps the last good copy in use
 * and logs why; a bad file at start fails the layer.
 */
import { AuthSource, Credential } from "@pgwire-ts/server"
import { Effect, Layer, Option, Ref } from "effect"
import { stat } from "node:fs/promises"
import { readUsers, type Users, UsersFileError } from "./usersFile.js"

interface Snapshot {
  readonly mtimeMs: number
  readonly users: Users
}

const mtimeOf = (path: string) =>
  Effect.tryPromise({
    try: () => stat(path).then((s) => s.mtimeMs),
    catch: (e) => new UsersFileError({ message: `cannot stat ${path}: ${(e as Error).message}` })
  })

const load = (path: string): Effect.Effect<Snapshot, UsersFileError> =>
  Effect.zipWith(mtimeOf(path), readUsers(path), (mtimeMs, users) => ({ mtimeMs, users }))

export const layer = (path: string): Layer.Layer<AuthSource, UsersFileError> =>
  Layer.effect(
    AuthSource,
    Effect.gen(function* () {
      const current = yield* Ref.make(yield* load(path))
      const fresh = Effect.gen(function* () {
        const snapshot = yield* Ref.get(current)
        const mtimeMs = yield* mtimeOf(path)
        if (mtimeMs === snapshot.mtimeMs) return snapshot.users
        const next = yield* load(path)
        yield* Ref.set(current, next)
        return next.users
      }).pipe(
        Effect.catchAll((e) =>
          Effect.zipRight(
            Effect.logWarning(`${e.message}; still using the last good copy`),
            Effect.map(Ref.get(current), (s) => s.users)
          )
        )
      )
      return {
        lookup: (user) =>
          Effect.map(fresh, (users) => Option.map(Option.fromNullable(users.get(user)), (verifier): Credential => ({ _tag: "Scram", verifier })))
      }
    })
  )
