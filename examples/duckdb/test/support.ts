import { Server, type ServerAddress } from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { execFile } from "node:child_process"

export interface Running {
  readonly address: ServerAddress
  readonly stop: () => Promise<void>
}

/** Builds a server layer in a fresh scope (port 0 → a free port); `stop` closes the scope. */
export const start = async <E>(layer: Layer.Layer<Server, E>): Promise<Running> => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  return {
    address: Context.get(context, Server).address,
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

export interface PsqlResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs psql (unaligned, tuples only, `|` separated) with `-c` per command; never rejects. */
export const psql = (port: number, commands: ReadonlyArray<string>, extraArgs: ReadonlyArray<string> = []): Promise<PsqlResult> =>
  new Promise((resolve) => {
    const args = ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", "tester", "-d", "duck", ...extraArgs]
    for (const c of commands) args.push("-c", c)
    execFile("psql", args, { env: { ...process.env, PGCONNECT_TIMEOUT: "10" }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  })
