import { Effect, type Scope } from "effect"
import * as Fs from "node:fs"
import { ServerError } from "../ServerError.js"

/** Whether a process with this id is running (signal 0 only checks). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readPid = (lockPath: string): number | undefined => {
  try {
    const pid = Number.parseInt(Fs.readFileSync(lockPath, "utf8").split("\n")[0] ?? "", 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

const removeQuietly = (path: string): void => {
  try {
    Fs.unlinkSync(path)
  } catch {
    // absent
  }
}

/**
 * PostgreSQL's guard for a Unix socket: a lock file `<socket>.lock` holding
 * the owner's process id. A lock held by another running process refuses the
 * start (its socket is live); a lock left by a process that died, and its
 * socket file, are removed. Our lock and socket are removed when the scope closes.
 */
export const lockUnixSocket = (socketPath: string, port: number, dir: string, host: string): Effect.Effect<void, ServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const lockPath = `${socketPath}.lock`
      const owner = readPid(lockPath)
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        return Effect.fail(
          new ServerError({
            reason: `lock file "${lockPath}" already exists: is another server (PID ${owner}) using socket file "${socketPath}"?`
          })
        )
      }
      removeQuietly(lockPath)
      // A socket file without a live owner is left over from a crash.
      try {
        if (Fs.statSync(socketPath).isSocket()) Fs.unlinkSync(socketPath)
      } catch {
        // absent
      }
      return Effect.try({
        // As PostgreSQL's postmaster.pid-style content: pid, data dir, start time, port, socket dir, listen address.
        try: () =>
          Fs.writeFileSync(lockPath, `${process.pid}\n\n${Math.floor(Date.now() / 1000)}\n${port}\n${dir}\n${host}\n`, {
            flag: "wx",
            mode: 0o600
          }),
        catch: (cause) => new ServerError({ reason: `cannot create lock file "${lockPath}": ${String(cause)}`, cause })
      })
    }),
    () =>
      Effect.sync(() => {
        removeQuietly(`${socketPath}.lock`)
        // Node removes the socket file when the listener closes; a listener that never started leaves none.
      })
  )
