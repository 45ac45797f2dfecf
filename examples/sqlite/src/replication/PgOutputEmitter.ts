/**
 * Log rows to pgoutput: each committed SQLite transaction becomes Begin,
 * Relation (before a table's first change in the stream), Insert / Update /
 * Delete / Truncate, Commit, with the log positions as LSNs. With streaming
 * (protocol version 2+), a large transaction goes out in blocks
 * (StreamStart … StreamStop) and ends with StreamCommit. Transactions with
 * no published change send nothing, as PostgreSQL 15 skips empty ones.
 */
import { codecForOid, PgOutput, Writer } from "@pgwire-ts/protocol"
import type { WalMessage } from "@pgwire-ts/server"
import { Effect } from "effect"
import { normalizeValue, PgType, type SqliteValue } from "../engine/columnTypes.js"
import type { SqlError } from "../engine/SqlError.js"
import type { TableColumn } from "./catalog.js"
import { changeLsn, commitLsn, endLsn } from "./changeLog.js"
import type { PublishedOp } from "./publicationCommand.js"

/** One row of `_pgwire_changes`. */
export interface ChangeRow {
  readonly id: bigint
  readonly txid: bigint
  readonly relname: string
  readonly op: string
  readonly old: string | null
  readonly new: string | null
}

export interface TransactionInfo {
  readonly lastId: bigint
  /** Rows from the first seen to the last (an upper bound of the changes). */
  readonly size: bigint
  /** Unix microseconds of the last change. */
  readonly at: bigint
}

export interface RelationInfo {
  readonly oid: number
  readonly name: string
  readonly columns: ReadonlyArray<TableColumn>
}

export interface EmitterOptions {
  readonly protoVersion: 1 | 2 | 3 | 4
  readonly binary: boolean
  /** Stream transactions larger than `streamThreshold` changes in blocks (needs protocol version 2+). */
  readonly streaming: boolean
  readonly streamThreshold: number
  readonly blockSize: number
  /** What the subscribed publications publish for a table. */
  readonly ops: (table: string) => ReadonlySet<PublishedOp>
}

/** What the emitter reads from the database. */
export interface EmitterSources {
  /** The transaction `txid` whose first row in the log (from where we read) is `firstId`. */
  readonly transaction: (txid: bigint, firstId: bigint) => Effect.Effect<TransactionInfo, SqlError>
  /** A table's OID and columns now; undefined when it no longer exists. */
  readonly relation: (name: string) => Effect.Effect<RelationInfo | undefined, SqlError>
}

interface OpenTransaction {
  readonly txid: bigint
  readonly info: TransactionInfo
  readonly xid: number
  readonly streamed: boolean
  begun: boolean
  inBlock: boolean
  blockCount: number
  readonly relationsSent: Set<string>
}

const OP_NAMES: Record<string, PublishedOp> = { I: "insert", U: "update", D: "delete", T: "truncate" }
const PG_EPOCH_MICROS = 946_684_800_000_000n
const NUMERIC_TYPES = new Set<number>([PgType.bool, PgType.int2, PgType.int4, PgType.int8, PgType.float4, PgType.float8, PgType.numeric])
const NULL: PgOutput.TupleColumn = { kind: "null" }
const utf8 = new TextEncoder()

export class PgOutputEmitter {
  private tx: OpenTransaction | undefined
  private readonly relations = new Map<string, RelationInfo>()
  /** Relations described in this stream (outside streamed transactions). */
  private readonly described = new Set<string>()
  private readonly scratch = new Writer(256)

  constructor(
    private readonly options: EmitterOptions,
    private readonly sources: EmitterSources
  ) {}

  /** The messages for the next rows of the log (in id order, continuing the previous call). */
  push(rows: ReadonlyArray<ChangeRow>): Effect.Effect<Array<WalMessage>, SqlError> {
    const self = this
    return Effect.gen(function* () {
      const out: Array<WalMessage> = []
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!
        if (self.tx === undefined || self.tx.txid !== row.txid) {
          if (self.tx !== undefined) self.finish(out)
          self.tx = yield* self.open(row)
        }
        if (row.op === "T") {
          // One TRUNCATE of several tables is one message.
          let j = i
          while (j + 1 < rows.length && rows[j + 1]!.op === "T" && rows[j + 1]!.txid === row.txid) j++
          yield* self.truncate(rows.slice(i, j + 1), out)
          i = j
        } else {
          yield* self.change(row, out)
        }
        const last = rows[i]!
        if (last.id >= self.tx.info.lastId) self.finish(out)
      }
      return out
    })
  }

  private open(row: ChangeRow): Effect.Effect<OpenTransaction, SqlError> {
    return Effect.map(this.sources.transaction(row.txid, row.id), (info) => ({
      txid: row.txid,
      info,
      // Stable across reconnects: derived from the transaction's place in the log.
      xid: Number(BigInt.asUintN(32, info.lastId)) || 1,
      streamed: this.options.streaming && info.size > BigInt(this.options.streamThreshold),
      begun: false,
      inBlock: false,
      blockCount: 0,
      relationsSent: new Set()
    }))
  }

  private finish(out: Array<WalMessage>): void {
    const tx = this.tx
    this.tx = undefined
    if (tx === undefined || !tx.begun) return
    const last = tx.info.lastId
    const commitTime = tx.info.at - PG_EPOCH_MICROS
    if (tx.streamed) {
      if (tx.inBlock) out.push({ lsn: changeLsn(last), message: { _tag: "StreamStop" } })
      out.push({
        lsn: endLsn(last),
        message: { _tag: "StreamCommit", xid: tx.xid, commitLsn: commitLsn(last), endLsn: endLsn(last), commitTime }
      })
      // Relations described inside the streamed transaction were only for it.
      return
    }
    out.push({ lsn: endLsn(last), message: { _tag: "Commit", commitLsn: commitLsn(last), endLsn: endLsn(last), commitTime } })
  }

  /** Begin (or the next stream block) before a published change. */
  private begin(tx: OpenTransaction, id: bigint, out: Array<WalMessage>): void {
    const lsn = changeLsn(id)
    if (!tx.begun) {
      tx.begun = true
      if (tx.streamed) {
        tx.inBlock = true
        out.push({ lsn, message: { _tag: "StreamStart", xid: tx.xid, firstSegment: true } })
      } else {
        out.push({
          lsn,
          message: { _tag: "Begin", finalLsn: commitLsn(tx.info.lastId), commitTime: tx.info.at - PG_EPOCH_MICROS, xid: tx.xid }
        })
      }
      return
    }
    if (tx.streamed && tx.blockCount >= this.options.blockSize) {
      out.push({ lsn, message: { _tag: "StreamStop" } })
      out.push({ lsn, message: { _tag: "StreamStart", xid: tx.xid, firstSegment: false } })
      tx.blockCount = 0
    }
  }

  private describe(tx: OpenTransaction, rel: RelationInfo, id: bigint, out: Array<WalMessage>): void {
    const sent = tx.streamed ? tx.relationsSent : this.described
    if (sent.has(rel.name)) return
    sent.add(rel.name)
    const relation: Omit<PgOutput.Relation, "_tag" | "xid"> = {
      relationOid: rel.oid,
      namespace: "public",
      name: rel.name,
      replicaIdentity: rel.columns.some((c) => c.isKey) ? "default" : "full",
      columns: rel.columns.map((c) => ({ isKey: c.isKey, name: c.name, typeOid: c.typeOid, typeModifier: -1 }))
    }
    out.push({ lsn: changeLsn(id), message: tx.streamed ? { _tag: "Relation", xid: tx.xid, ...relation } : { _tag: "Relation", ...relation } })
  }

  /** The relation's description, reloaded when the logged row no longer matches it (an ALTER TABLE). */
  private relationFor(name: string, width: number | undefined): Effect.Effect<RelationInfo | undefined, SqlError> {
    const cached = this.relations.get(name)
    if (cached !== undefined && (width === undefined || cached.columns.length === width)) return Effect.succeed(cached)
    return Effect.map(this.sources.relation(name), (rel) => {
      if (rel === undefined) return cached
      if (cached !== undefined && JSON.stringify(cached) !== JSON.stringify(rel)) {
        this.described.delete(name)
        this.tx?.relationsSent.delete(name)
      }
      this.relations.set(name, rel)
      return rel
    })
  }

  private change(row: ChangeRow, out: Array<WalMessage>): Effect.Effect<void, SqlError> {
    const tx = this.tx!
    const op = OP_NAMES[row.op]
    if (op === undefined || !this.options.ops(row.relname).has(op)) return Effect.void
    const newValues = row.new === null ? undefined : (JSON.parse(row.new) as Array<unknown>)
    const oldValues = row.old === null ? undefined : (JSON.parse(row.old) as Array<unknown>)
    const width = (newValues ?? oldValues)?.length
    return Effect.map(this.relationFor(row.relname, width), (rel) => {
      if (rel === undefined) return
      this.begin(tx, row.id, out)
      this.describe(tx, rel, row.id, out)
      const xid = tx.streamed ? { xid: tx.xid } : {}
      const hasKey = rel.columns.some((c) => c.isKey)
      let message: PgOutput.PgOutputMessage
      switch (row.op) {
        case "I":
          message = { _tag: "Insert", ...xid, relationOid: rel.oid, newTuple: this.tuple(rel, newValues ?? [], false) }
          break
        case "U": {
          let old: PgOutput.OldTuple | undefined
          if (!hasKey) old = { kind: "old", tuple: this.tuple(rel, oldValues ?? [], false) }
          else if (rel.columns.some((c, i) => c.isKey && JSON.stringify(oldValues?.[i]) !== JSON.stringify(newValues?.[i]))) {
            old = { kind: "key", tuple: this.tuple(rel, oldValues ?? [], true) }
          }
          const newTuple = this.tuple(rel, newValues ?? [], false)
          message = old === undefined ? { _tag: "Update", ...xid, relationOid: rel.oid, newTuple } : { _tag: "Update", ...xid, relationOid: rel.oid, old, newTuple }
          break
        }
        default:
          message = {
            _tag: "Delete",
            ...xid,
            relationOid: rel.oid,
            old: hasKey ? { kind: "key", tuple: this.tuple(rel, oldValues ?? [], true) } : { kind: "old", tuple: this.tuple(rel, oldValues ?? [], false) }
          }
      }
      out.push({ lsn: changeLsn(row.id), message })
      tx.blockCount++
    })
  }

  private truncate(rows: ReadonlyArray<ChangeRow>, out: Array<WalMessage>): Effect.Effect<void, SqlError> {
    const tx = this.tx!
    const published = rows.filter((r) => this.options.ops(r.relname).has("truncate"))
    if (published.length === 0) return Effect.void
    return Effect.map(
      Effect.forEach(published, (r) => this.relationFor(r.relname, undefined)),
      (rels) => {
        const known = rels.filter((r): r is RelationInfo => r !== undefined)
        if (known.length === 0) return
        const id = published[0]!.id
        this.begin(tx, id, out)
        for (const rel of known) this.describe(tx, rel, id, out)
        const xid = tx.streamed ? { xid: tx.xid } : {}
        out.push({
          lsn: changeLsn(published[published.length - 1]!.id),
          message: { _tag: "Truncate", ...xid, cascade: false, restartIdentity: false, relationOids: known.map((r) => r.oid) }
        })
        tx.blockCount++
      }
    )
  }

  /** A row image: every column, or only the key columns (others null) for an old key. */
  private tuple(rel: RelationInfo, values: ReadonlyArray<unknown>, keyOnly: boolean): PgOutput.TupleData {
    return rel.columns.map((c, i) => (keyOnly && !c.isKey ? NULL : this.column(c, values[i])))
  }

  private column(c: TableColumn, logged: unknown): PgOutput.TupleColumn {
    if (logged === null || logged === undefined) return NULL
    const value = normalizeValue(fromLog(logged, c.typeOid), c.typeOid)
    const codec = codecForOid(c.typeOid)
    if (this.options.binary && typeof value !== "string") {
      try {
        const w = this.scratch.reset()
        codec.encodeBinary(w, value)
        return { kind: "binary", value: new Uint8Array(w.take()) }
      } catch {
        // a value its column's type cannot carry goes as text
      }
    }
    let text: string
    try {
      text = typeof value === "string" ? value : codec.encodeText(value)
    } catch {
      text = String(logged)
    }
    return { kind: "text", value: utf8.encode(text) }
  }
}

/** A logged JSON value back to what SQLite stored: integers were logged as strings, blobs as [hex]. */
const fromLog = (v: unknown, typeOid: number): SqliteValue => {
  if (Array.isArray(v)) return new Uint8Array(Buffer.from(String(v[0]), "hex"))
  if (typeof v === "number") return v
  const s = String(v)
  return NUMERIC_TYPES.has(typeOid) && /^-?\d+$/.test(s) ? BigInt(s) : s
}
