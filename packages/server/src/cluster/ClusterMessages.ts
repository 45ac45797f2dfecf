import { Schema } from "effect"

/**
 * What the primary and its workers tell each other over the cluster IPC
 * channel (JSON). Everything received is decoded: a malformed message is ignored.
 */

/** A CancelRequest for a session of another worker; the key travels base64-encoded. */
export const RoutedCancel = Schema.TaggedStruct("pgwire/cancel", {
  processId: Schema.Int,
  secretKey: Schema.String
})
/** `pg_cancel_backend` for a session of another worker (trusted, no key). */
export const RoutedCancelProcess = Schema.TaggedStruct("pgwire/cancelProcess", { processId: Schema.Int })
/** A NOTIFY to deliver on every other worker. */
export const RoutedNotify = Schema.TaggedStruct("pgwire/notify", {
  channel: Schema.String,
  payload: Schema.String,
  processId: Schema.Int
})
/** Worker → primary: the server is listening. */
export const WorkerReady = Schema.TaggedStruct("pgwire/ready", {
  hostname: Schema.String,
  port: Schema.Int
})
/** Worker → primary: the server could not start (the worker exits next). */
export const WorkerFailed = Schema.TaggedStruct("pgwire/failed", { reason: Schema.String })
/** Primary → worker: drain and exit. */
export const WorkerShutdown = Schema.TaggedStruct("pgwire/shutdown", {})

export const ClusterMessage = Schema.Union(RoutedCancel, RoutedCancelProcess, RoutedNotify, WorkerReady, WorkerFailed, WorkerShutdown)
export type ClusterMessage = typeof ClusterMessage.Type

const decode = Schema.decodeUnknownOption(ClusterMessage)

/** The message, or undefined for anything that is not one of ours (e.g. another library's IPC). */
export const parseClusterMessage = (raw: unknown): ClusterMessage | undefined => {
  const m = decode(raw)
  return m._tag === "Some" ? m.value : undefined
}

export const encodeKey = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64")
export const decodeKey = (key: string): Uint8Array => new Uint8Array(Buffer.from(key, "base64"))
