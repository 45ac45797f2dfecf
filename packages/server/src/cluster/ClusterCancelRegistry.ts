import { randomBytes, randomInt, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"
import type { CancelRegistryShape } from "../cancel/CancelRegistry.js"
import { MAX_COUNTER, processIdOf, slotOfProcessId } from "./processIdSpace.js"

/** Where a worker's registry sends cancels for sessions it does not own. */
export interface CancelForwarder {
  readonly cancel: (processId: number, secretKey: Uint8Array) => void
  readonly cancelProcess: (processId: number) => void
}

/**
 * The cancel registry of one cluster worker. Process ids are allocated in
 * the worker's slot (`processIdSpace`); a CancelRequest whose id belongs to
 * another slot is forwarded to it (through the primary) and answered
 * nothing, as every CancelRequest is. `cancelLocal` / `cancelProcessLocal`
 * are what a forwarded request runs on its owner.
 */
export interface ClusterCancelRegistry extends CancelRegistryShape {
  readonly slot: number
  readonly cancelLocal: (processId: number, secretKey: Uint8Array) => Effect.Effect<boolean>
  readonly cancelProcessLocal: (processId: number) => Effect.Effect<boolean>
  /** Cancels sent to other workers and received from them, since start (observability). */
  readonly routed: () => { readonly forwarded: number; readonly received: number }
}

interface Entry {
  readonly secretKey: Uint8Array
  readonly cancel: Effect.Effect<boolean>
}

export const makeClusterCancelRegistry = (slot: number, forward: CancelForwarder): ClusterCancelRegistry => {
  const sessions = new Map<number, Entry>()
  let forwarded = 0
  let received = 0
  let counter = randomInt(1, MAX_COUNTER)
  const allocate = (): number => {
    // More live sessions than 2^23 in one worker cannot happen (maxConnections), so this ends.
    for (;;) {
      const pid = processIdOf(slot, counter)
      counter = counter >= MAX_COUNTER ? 1 : counter + 1
      if (!sessions.has(pid)) return pid
    }
  }
  // A miss is compared against a decoy so that it takes as long as a wrong key.
  const decoys = new Map<number, Uint8Array>()
  const decoy = (length: number): Uint8Array => {
    let d = decoys.get(length)
    if (d === undefined) decoys.set(length, (d = new Uint8Array(randomBytes(length))))
    return d
  }
  const cancelLocal = (processId: number, secretKey: Uint8Array): Effect.Effect<boolean> =>
    Effect.suspend(() => {
      const entry = sessions.get(processId)
      const expected = entry?.secretKey ?? decoy(secretKey.byteLength)
      const same = expected.byteLength === secretKey.byteLength && timingSafeEqual(expected, secretKey)
      return entry === undefined || !same ? Effect.succeed(false) : entry.cancel
    })
  const cancelProcessLocal = (processId: number): Effect.Effect<boolean> =>
    Effect.suspend(() => sessions.get(processId)?.cancel ?? Effect.succeed(false))
  const remote = (processId: number): boolean => {
    const owner = slotOfProcessId(processId)
    return owner !== 0 && owner !== slot
  }
  return {
    slot,
    register: (keyLength, cancel) =>
      Effect.sync(() => {
        const processId = allocate()
        const secretKey = new Uint8Array(randomBytes(keyLength))
        sessions.set(processId, { secretKey, cancel })
        return { processId, secretKey }
      }),
    unregister: (processId) => Effect.sync(() => void sessions.delete(processId)),
    cancel: (processId, secretKey) =>
      remote(processId)
        ? Effect.sync(() => {
            forwarded++
            forward.cancel(processId, secretKey)
            // The owner's answer never reaches the requester anyway.
            return false
          })
        : cancelLocal(processId, secretKey),
    cancelProcess: (processId) =>
      remote(processId)
        ? Effect.sync(() => {
            forwarded++
            forward.cancelProcess(processId)
            return false
          })
        : cancelProcessLocal(processId),
    cancelLocal: (processId, secretKey) => Effect.suspend(() => (received++, cancelLocal(processId, secretKey))),
    cancelProcessLocal: (processId) => Effect.suspend(() => (received++, cancelProcessLocal(processId))),
    routed: () => ({ forwarded, received })
  }
}
