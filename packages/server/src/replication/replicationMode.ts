import { SqlState } from "@pgwire-ts/protocol"
import { PgError } from "../errors/PgError.js"

/**
 * What the `replication` startup parameter asks for: nothing (an ordinary
 * connection), a logical replication connection bound to a database
 * ("database"), or a physical one ("true").
 */
export type ReplicationMode = "none" | "logical" | "physical"

const TRUE = /^(t|tr|tru|true|y|ye|yes|on|1)$/i
const FALSE = /^(f|fa|fal|fals|false|n|no|of|off|0)$/i

/** Reads the parameter as PostgreSQL does; a bad value is a FATAL 22023 with PostgreSQL's hint. */
export const replicationModeOf = (parameters: ReadonlyMap<string, string>): ReplicationMode | PgError => {
  const value = parameters.get("replication")
  if (value === undefined) return "none"
  if (value === "database") return "logical"
  if (TRUE.test(value)) return "physical"
  if (FALSE.test(value)) return "none"
  return PgError.make(SqlState.InvalidParameterValue, `invalid value for parameter "replication": "${value}"`, {
    severity: "FATAL",
    hint: `Valid values are: "false", 0, "true", 1, "database".`
  })
}

/**
 * The startup check: a replication connection needs a ReplicationHandler, and
 * only logical replication is served. Undefined when the connection may proceed.
 */
export const refuseReplication = (parameters: ReadonlyMap<string, string>, hasHandler: boolean): PgError | undefined => {
  const mode = replicationModeOf(parameters)
  if (mode instanceof PgError) return mode
  if (mode === "none") return undefined
  if (mode === "physical") {
    return PgError.make(SqlState.FeatureNotSupported, "physical replication is not supported by this server", {
      severity: "FATAL",
      hint: `Connect with replication=database for logical replication.`
    })
  }
  if (!hasHandler) {
    return PgError.make(SqlState.FeatureNotSupported, "replication connections are not supported by this server", {
      severity: "FATAL"
    })
  }
  return undefined
}

/** True for a session opened with replication=database (its queries may be replication commands). */
export const isLogicalReplicationConnection = (parameters: ReadonlyMap<string, string>): boolean =>
  parameters.get("replication") === "database"
