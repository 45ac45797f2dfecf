/**
 * Process ids carry the worker slot that owns the session, so a CancelRequest
 * reaching any worker is routed to its owner in O(1): pid = slot << 23 | counter.
 * Slots 1..255 keep every id a positive Int32, as PostgreSQL's are.
 */
export const COUNTER_BITS = 23
export const MAX_WORKERS = 255
const COUNTER_MASK = (1 << COUNTER_BITS) - 1

/** The worker slot a process id belongs to (0 for ids no cluster worker hands out). */
export const slotOfProcessId = (processId: number): number => {
  if (!Number.isInteger(processId) || processId <= 0 || processId > 0x7fffffff) return 0
  const slot = processId >>> COUNTER_BITS
  return slot >= 1 && slot <= MAX_WORKERS && (processId & COUNTER_MASK) !== 0 ? slot : 0
}

/** The process id of session `counter` (1 .. 2^23-1) on worker `slot`. */
export const processIdOf = (slot: number, counter: number): number => ((slot << COUNTER_BITS) | counter) >>> 0

/** Counters of one slot: 1 .. 2^23-1, wrapping. */
export const MAX_COUNTER = COUNTER_MASK
