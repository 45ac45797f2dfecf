/** Field schemas shared by the pgoutput messages. */
import { Schema } from "effect"
import { UInt32 } from "../common.js"

/** An object id (pg_class.oid, pg_type.oid): an unsigned 32-bit number. */
export const Oid = UInt32.annotations({ identifier: "Oid" })

/** A TransactionId: an unsigned 32-bit number. */
export const Xid = UInt32.annotations({ identifier: "Xid" })

/**
 * The Xid that Relation, Type, Insert, Update, Delete, Truncate and Message
 * carry only inside a streamed transaction (between StreamStart and
 * StreamStop, protocol version 2 and later). Encoders write it when present;
 * the stateful decoder reads it when its stream state says it is there.
 */
export const StreamXid = Schema.optional(Xid)

/** pgoutput's `proto_version` option: 1, 2 (streaming), 3 (two-phase), 4 (parallel streaming). */
export const ProtocolVersion = Schema.Literal(1, 2, 3, 4)
export type ProtocolVersion = typeof ProtocolVersion.Type
