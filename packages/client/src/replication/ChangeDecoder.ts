/**
 * Row changes from pgoutput messages: remembers each Relation and turns
 * Insert, Update, Delete and Truncate into rows keyed by column name, with
 * every value as PostgreSQL's text (binary values are decoded with the
 * protocol package's codecs and printed as text).
 */
import { codecForOid, type PgOutput } from "@pgwire-ts/protocol"

/** Column name → text value; null for SQL NULL. An unchanged TOASTed value (not sent) is absent. */
export type RowValues = Readonly<Record<string, string | null>>

export interface RelationName {
  readonly schema: string
  readonly table: string
}

export type RowChange =
  | { readonly op: "insert"; readonly relation: RelationName; readonly new: RowValues }
  | {
      readonly op: "update"
      readonly relation: RelationName
      /** The old key (replica identity default/index, only when it changed) or the whole old row (identity full). */
      readonly old: RowValues | null
      readonly new: RowValues
    }
  | { readonly op: "delete"; readonly relation: RelationName; readonly old: RowValues }
  | {
      readonly op: "truncate"
      readonly relations: ReadonlyArray<RelationName>
      readonly cascade: boolean
      readonly restartIdentity: boolean
    }

const utf8 = new TextDecoder()
const hex = (b: Uint8Array): string => `\\x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`

/** A change for a relation that no Relation message described. */
export class UnknownRelationError extends Error {
  readonly _tag = "UnknownRelationError"
  constructor(readonly relationOid: number) {
    super(`change for relation ${relationOid} before its Relation message`)
  }
}

export class ChangeDecoder {
  private readonly relations = new Map<number, PgOutput.Relation>()

  /** The Relation last seen for `oid`. */
  relation(oid: number): PgOutput.Relation | undefined {
    return this.relations.get(oid)
  }

  /**
   * Feeds one message; returns the row change it carries, if any (Relation
   * messages are remembered, transaction framing is not a change). Throws
   * UnknownRelationError for a change whose Relation was never seen.
   */
  decode(m: PgOutput.PgOutputMessage): RowChange | undefined {
    switch (m._tag) {
      case "Relation":
        this.relations.set(m.relationOid, m)
        return undefined
      case "Insert": {
        const r = this.get(m.relationOid)
        return { op: "insert", relation: nameOf(r), new: values(r, m.newTuple) }
      }
      case "Update": {
        const r = this.get(m.relationOid)
        return { op: "update", relation: nameOf(r), old: m.old === undefined ? null : values(r, m.old.tuple), new: values(r, m.newTuple) }
      }
      case "Delete": {
        const r = this.get(m.relationOid)
        return { op: "delete", relation: nameOf(r), old: values(r, m.old.tuple) }
      }
      case "Truncate":
        return {
          op: "truncate",
          relations: m.relationOids.map((oid) => nameOf(this.get(oid))),
          cascade: m.cascade,
          restartIdentity: m.restartIdentity
        }
      default:
        return undefined
    }
  }

  private get(oid: number): PgOutput.Relation {
    const r = this.relations.get(oid)
    if (r === undefined) throw new UnknownRelationError(oid)
    return r
  }
}

const nameOf = (r: PgOutput.Relation): RelationName => ({ schema: r.namespace, table: r.name })

const values = (r: PgOutput.Relation, tuple: PgOutput.TupleData): RowValues => {
  const out: Record<string, string | null> = {}
  tuple.forEach((column, i) => {
    const name = r.columns[i]?.name ?? `column${i + 1}`
    switch (column.kind) {
      case "null":
        out[name] = null
        break
      case "unchanged":
        break
      case "text":
        out[name] = utf8.decode(column.value)
        break
      case "binary":
        out[name] = binaryAsText(r.columns[i]?.typeOid ?? 0, column.value)
        break
    }
  })
  return out
}

const binaryAsText = (typeOid: number, value: Uint8Array): string => {
  const codec = codecForOid(typeOid)
  try {
    return codec.encodeText(codec.decodeBinary(value, 0, value.byteLength))
  } catch {
    return hex(value)
  }
}
