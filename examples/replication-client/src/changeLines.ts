/**
 * pgoutput messages to JSON lines: one line per row change (relation,
 * operation, new and old values as PostgreSQL's text), printed when its
 * transaction commits (a streamed transaction's changes wait for its
 * StreamCommit, an aborted one prints nothing).
 */
import { type CommittedTransaction, type ReplicationMessage, type RowChange, TransactionAssembler } from "@pgwire-ts/client"
import { formatLsn } from "@pgwire-ts/protocol"

export interface ChangeLine {
  /** The transaction's end position (what gets acknowledged). */
  readonly lsn: string
  readonly xid: number
  /** schema.table, or several, comma-separated, for a TRUNCATE. */
  readonly relation: string
  readonly op: RowChange["op"]
  readonly new: Readonly<Record<string, string | null>> | null
  readonly old: Readonly<Record<string, string | null>> | null
}

const qualified = (r: { readonly schema: string; readonly table: string }) => (r.schema === "" ? r.table : `${r.schema}.${r.table}`)

export const linesOf = (tx: CommittedTransaction): ReadonlyArray<ChangeLine> =>
  tx.changes.map((c) => {
    const base = { lsn: formatLsn(tx.endLsn), xid: tx.xid }
    switch (c.op) {
      case "insert":
        return { ...base, relation: qualified(c.relation), op: c.op, new: c.new, old: null }
      case "update":
        return { ...base, relation: qualified(c.relation), op: c.op, new: c.new, old: c.old }
      case "delete":
        return { ...base, relation: qualified(c.relation), op: c.op, new: null, old: c.old }
      case "truncate":
        return { ...base, relation: c.relations.map(qualified).join(","), op: c.op, new: null, old: null }
    }
  })

/** Feeds messages in order; each committed transaction comes back with its lines. */
export class ChangePrinter {
  private readonly assembler = new TransactionAssembler()

  push(m: ReplicationMessage): { readonly transaction: CommittedTransaction; readonly lines: ReadonlyArray<string> } | undefined {
    const tx = this.assembler.push(m.message)
    if (tx === undefined) return undefined
    return { transaction: tx, lines: linesOf(tx).map((l) => JSON.stringify(l)) }
  }
}
