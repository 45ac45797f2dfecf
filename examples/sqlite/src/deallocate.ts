import { type PgError, PreparedStatements, QueryResult, type Session } from "@pgwire-ts/server"
import { Effect } from "effect"

const DEALLOCATE = /^DEALLOCATE\s+(?:PREPARE\s+)?(?:(ALL)|"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))\s*$/i

/** What a DEALLOCATE statement closes: a statement name, or every named statement; undefined for other statements. */
export type DeallocateTarget = { readonly _tag: "All" } | { readonly _tag: "Name"; readonly name: string }

export const deallocateTarget = (statement: string): DeallocateTarget | undefined => {
  const m = DEALLOCATE.exec(statement.trim())
  if (m === null) return undefined
  if (m[1] !== undefined) return { _tag: "All" }
  return { _tag: "Name", name: m[2] !== undefined ? m[2].replace(/""/g, '"') : m[3]!.toLowerCase() }
}

/**
 * DEALLOCATE closes prepared statements of the connection, the ones made by
 * Parse messages included (they share PostgreSQL's namespace): SQLite has no
 * such statement, so the server's statement store answers it.
 */
export const runDeallocate = (session: Session, target: DeallocateTarget): Effect.Effect<QueryResult, PgError> =>
  target._tag === "All"
    ? Effect.as(PreparedStatements.deallocateAll(session), QueryResult.command("DEALLOCATE ALL"))
    : Effect.as(PreparedStatements.deallocate(session, target.name), QueryResult.command("DEALLOCATE"))
