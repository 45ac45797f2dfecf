import { randomBytes, randomInt, timingSafeEqual } from "node:crypto"
import { Context, Effect, Layer } from "effect"

/** What BackendKeyData tells a client: the key its CancelRequest must repeat. */
export interface CancelKey {
  readonly processId: number
  /** 4 random bytes in protocol 3.0, 32 in 3.2 (as PostgreSQL 18). */
  readonly secretKey: Uint8Array
}

/**
 * Matches CancelRequests to sessions. Each session registers when it starts
 * (getting its process id and secret key) and unregisters when it ends.
 * Replace it (provide your own `CancelRegistry` layer) to route cancel
 * requests between server processes that share a port.
 */
export interface CancelRegistryShape {
  /**
   * A new session: allocates its process id and a `keyLength`-byte secret key
   * from `node:crypto`. `cancel` stops the session's running query (57014) and
   * says whether one was running.
   */
  readonly register: (keyLength: number, cancel: Effect.Effect<boolean>) => Effect.Effect<CancelKey>
  readonly unregister: (processId: number) => Effect.Effect<void>
  /**
   * A CancelRequest: when the process id and key match (keys compared in
   * constant time), cancels that session's running query. The result is never
   * shown to the requester: a wrong key and an idle session look alike.
   */
  readonly cancel: (processId: number, secretKey: Uint8Array) => Effect.Effect<boolean>
  /** Cancels by process id alone, for trusted server-side callers (PostgreSQL's `pg_cancel_backend`). */
  readonly cancelProcess: (processId: number) => Effect.Effect<boolean>
}

interface Entry {
  readonly secretKey: Uint8Array
  readonly cancel: Effect.Effect<boolean>
}

const MAX_PID = 0x7fffffff

/** The in-process registry: process ids count up from a random start and skip ids still in use. */
export const makeCancelRegistry = (options: { readonly firstProcessId?: number } = {}): CancelRegistryShape => {
  const sessions = new Map<number, Entry>()
  let nextPid = options.firstProcessId ?? randomInt(1000, 1 << 22)
  const allocate = (): number => {
    for (;;) {
      const pid = nextPid
      // Process ids are positive Int32s, as on a real server.
      nextPid = pid >= MAX_PID ? 1 : pid + 1
      if (!sessions.has(pid)) return pid
    }
  }
  // Compared against when the process id is unknown, so a miss takes as long as a wrong key.
  const decoys = new Map<number, Uint8Array>()
  const decoy = (length: number): Uint8Array => {
    let d = decoys.get(length)
    if (d === undefined) {
      d = new Uint8Array(randomBytes(length))
      decoys.set(length, d)
    }
    return d
  }
  return {
    register: (keyLength, cancel) =>
      Effect.sync(() => {
        const processId = allocate()
        const secretKey = new Uint8Array(randomBytes(keyLength))
        sessions.set(processId, { secretKey, cancel })
        return { processId, secretKey }
      }),
    unregister: (processId) => Effect.sync(() => void sessions.delete(processId)),
    cancel: (processId, secretKey) =>
      Effect.suspend(() => {
        const entry = sessions.get(processId)
        const expected = entry?.secretKey ?? decoy(secretKey.byteLength)
        // Key lengths are public (4 or 32 bytes); only the bytes are compared in constant time.
        const same = expected.byteLength === secretKey.byteLength && timingSafeEqual(expected, secretKey)
        if (entry === undefined || !same) return Effect.succeed(false)
        return entry.cancel
      }),
    cancelProcess: (processId) =>
      Effect.suspend(() => {
        const entry = sessions.get(processId)
        return entry === undefined ? Effect.succeed(false) : entry.cancel
      })
  }
}

/**
 * The cancel registry service. Without one in the server's context each
 * server makes its own in-process registry (`makeCancelRegistry`).
 */
export class CancelRegistry extends Context.Tag("@pgwire-ts/server/CancelRegistry")<CancelRegistry, CancelRegistryShape>() {
  /** An in-process registry; share one between servers by providing this layer to both. */
  static readonly layer: Layer.Layer<CancelRegistry> = Layer.sync(CancelRegistry, () => makeCancelRegistry())

  static make(registry: CancelRegistryShape): Layer.Layer<CancelRegistry> {
    return Layer.succeed(CancelRegistry, registry)
  }
}
