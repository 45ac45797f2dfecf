/**
 * Whole committed transactions from a pgoutput message stream: changes are
 * gathered between Begin and Commit, streamed blocks (protocol version 2+)
 * per transaction until StreamCommit (StreamAbort drops the aborted
 * (sub)transaction's changes), and prepared transactions (version 3+) until
 * COMMIT PREPARED (ROLLBACK PREPARED drops them). What comes out is what a
 * subscriber applies, one transaction at a time, in commit order.
 */
import type { PgOutput } from "@pgwire-ts/protocol"
import { ChangeDecoder, type RowChange } from "./ChangeDecoder.js"

export interface CommittedTransaction {
  readonly xid: number
  /** The commit record's position. */
  readonly commitLsn: bigint
  /** The end of the transaction: what to acknowledge once it is applied. */
  readonly endLsn: bigint
  readonly commitTime: bigint
  readonly changes: ReadonlyArray<RowChange>
  /** How it arrived: in one piece, streamed while in progress, or prepared (two-phase). */
  readonly delivery: "whole" | "streamed" | "prepared"
}

interface Pending {
  readonly changes: Array<{ readonly xid: number | undefined; readonly change: RowChange }>
}

/** A message out of order for the transaction framing (a change outside any transaction...). */
export class TransactionFramingError extends Error {
  readonly _tag = "TransactionFramingError"
}

export class TransactionAssembler {
  readonly decoder = new ChangeDecoder()
  private current: (Pending & { readonly xid: number }) | undefined
  private streamXid: number | undefined
  private readonly streams = new Map<number, Pending>()
  private readonly prepared = new Map<string, Pending & { readonly xid: number }>()

  /** Feeds one message; returns the transaction it completes, if any. Throws TransactionFramingError on bad framing. */
  push(m: PgOutput.PgOutputMessage): CommittedTransaction | undefined {
    switch (m._tag) {
      case "Begin":
      case "BeginPrepare":
        if (this.current !== undefined) throw new TransactionFramingError(`${m._tag} inside transaction ${this.current.xid}`)
        this.current = { xid: m.xid, changes: [] }
        return undefined
      case "Commit": {
        const tx = this.take("Commit")
        return { xid: tx.xid, commitLsn: m.commitLsn, endLsn: m.endLsn, commitTime: m.commitTime, changes: tx.changes.map((c) => c.change), delivery: "whole" }
      }
      case "Prepare":
        this.prepared.set(m.gid, this.take("Prepare"))
        return undefined
      case "CommitPrepared": {
        const tx = this.prepared.get(m.gid)
        if (tx === undefined) throw new TransactionFramingError(`COMMIT PREPARED of unknown transaction "${m.gid}"`)
        this.prepared.delete(m.gid)
        return { xid: m.xid, commitLsn: m.commitLsn, endLsn: m.endLsn, commitTime: m.commitTime, changes: tx.changes.map((c) => c.change), delivery: "prepared" }
      }
      case "RollbackPrepared":
        this.prepared.delete(m.gid)
        return undefined
      case "StreamStart":
        this.streamXid = m.xid
        if (!this.streams.has(m.xid)) this.streams.set(m.xid, { changes: [] })
        return undefined
      case "StreamStop":
        this.streamXid = undefined
        return undefined
      case "StreamCommit": {
        const tx = this.streams.get(m.xid)
        this.streams.delete(m.xid)
        return { xid: m.xid, commitLsn: m.commitLsn, endLsn: m.endLsn, commitTime: m.commitTime, changes: (tx?.changes ?? []).map((c) => c.change), delivery: "streamed" }
      }
      case "StreamPrepare": {
        const tx = this.streams.get(m.xid)
        this.streams.delete(m.xid)
        this.prepared.set(m.gid, { xid: m.xid, changes: tx?.changes ?? [] })
        return undefined
      }
      case "StreamAbort": {
        if (m.subXid === m.xid) this.streams.delete(m.xid)
        else {
          const tx = this.streams.get(m.xid)
          if (tx !== undefined) this.streams.set(m.xid, { changes: tx.changes.filter((c) => c.xid !== m.subXid) })
        }
        return undefined
      }
      default: {
        const change = this.decoder.decode(m)
        if (change === undefined) return undefined
        const xid = "xid" in m ? m.xid : undefined
        if (this.streamXid !== undefined) {
          this.streams.get(this.streamXid)!.changes.push({ xid, change })
          return undefined
        }
        if (this.current === undefined) throw new TransactionFramingError(`${m._tag} outside a transaction`)
        this.current.changes.push({ xid, change })
        return undefined
      }
    }
  }

  private take(what: string): Pending & { readonly xid: number } {
    const tx = this.current
    if (tx === undefined) throw new TransactionFramingError(`${what} without Begin`)
    this.current = undefined
    return tx
  }
}
