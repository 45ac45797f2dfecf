/**
 * pgoutput, the logical replication output plugin's messages
 * (protocol.sgml "Logical Replication Message Formats"), protocol versions 1
 * to 4. Each message is the `data` of one XLogData. Exported from the package
 * as the `PgOutput` namespace, since names like Begin, Commit, Message and
 * Type are generic.
 */
export * from "./pgoutput/fields.js"
export * from "./pgoutput/tuple.js"
export * from "./pgoutput/transaction.js"
export * from "./pgoutput/relation.js"
export * from "./pgoutput/change.js"
export * from "./pgoutput/stream.js"
export * from "./pgoutput/twoPhase.js"
export * from "./pgoutput/decoder.js"
