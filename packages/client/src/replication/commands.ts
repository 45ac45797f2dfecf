/** Replication command strings, quoted as PostgreSQL's replication grammar reads them. */
import { formatLsn } from "@pgwire-ts/protocol"

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`
export const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`

export interface CreateSlotOptions {
  readonly temporary?: boolean | undefined
  /** Default "pgoutput". */
  readonly plugin?: string | undefined
  /** Decode prepared transactions at PREPARE (needs protocol version 3 when streaming). */
  readonly twoPhase?: boolean | undefined
}

/** CREATE_REPLICATION_SLOT with no exported snapshot (a stream consumer has no use for one). */
export const createSlotCommand = (slot: string, options: CreateSlotOptions = {}): string => {
  const parts = [`CREATE_REPLICATION_SLOT ${quoteIdent(slot)}`]
  if (options.temporary === true) parts.push("TEMPORARY")
  parts.push(`LOGICAL ${quoteIdent(options.plugin ?? "pgoutput")}`)
  const opts = ["SNAPSHOT 'nothing'"]
  if (options.twoPhase === true) opts.push("TWO_PHASE true")
  return `${parts.join(" ")} (${opts.join(", ")})`
}

export const dropSlotCommand = (slot: string, wait = false): string =>
  `DROP_REPLICATION_SLOT ${quoteIdent(slot)}${wait ? " WAIT" : ""}`

export interface PgOutputStartOptions {
  readonly protoVersion: number
  readonly publications: ReadonlyArray<string>
  readonly binary?: boolean | undefined
  readonly messages?: boolean | undefined
  readonly streaming?: boolean | "parallel" | undefined
  readonly twoPhase?: boolean | undefined
  readonly origin?: "any" | "none" | undefined
}

/** START_REPLICATION SLOT … LOGICAL … with pgoutput's options (only those that differ from the defaults). */
export const startReplicationCommand = (slot: string, startLsn: bigint, o: PgOutputStartOptions): string => {
  const options: Array<[string, string]> = [
    ["proto_version", String(o.protoVersion)],
    ["publication_names", o.publications.map(quoteIdent).join(",")]
  ]
  if (o.binary === true) options.push(["binary", "true"])
  if (o.messages === true) options.push(["messages", "true"])
  if (o.streaming === "parallel") options.push(["streaming", "parallel"])
  else if (o.streaming === true) options.push(["streaming", "on"])
  if (o.twoPhase === true) options.push(["two_phase", "true"])
  if (o.origin !== undefined) options.push(["origin", o.origin])
  const list = options.map(([name, value]) => `${quoteIdent(name)} ${quoteLiteral(value)}`).join(", ")
  return `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(startLsn)} (${list})`
}
