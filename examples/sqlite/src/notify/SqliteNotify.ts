/**
 * LISTEN / UNLISTEN / NOTIFY and pg_notify() for the SQLite server, with
 * PostgreSQL's transaction rules: inside a transaction block they take effect
 * at COMMIT (NOTIFY is delivered then, LISTEN starts then) and vanish at
 * ROLLBACK; outside one, when the query string succeeds. pg_notify() runs in
 * the lane (so triggers and SELECTs can call it) and counts only for
 * statements that succeeded. Delivery to listening clients, idle or not, is
 * the server library's (`session.listen` / `session.notify`).
 */
import { PgError, type QueryResult, QueryResult as Result, type Session, SessionKey } from "@pgwire-ts/server"
import { Effect, Exit, Ref, Stream } from "effect"
import type { SqliteSession } from "../engine/SqliteSession.js"

export type NotificationStatement =
  | { readonly _tag: "Listen"; readonly channel: string }
  | { readonly _tag: "Unlisten"; readonly channel: string }
  | { readonly _tag: "Notify"; readonly channel: string; readonly payload: string }

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated (with a NOTICE). */
const MAX_IDENTIFIER_BYTES = 63
const MAX_PAYLOAD_BYTES = 8000

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)`
const LISTEN = new RegExp(String.raw`^LISTEN\s+${IDENT}\s*;?\s*$`, "i")
const UNLISTEN = new RegExp(String.raw`^UNLISTEN\s+(\*|${IDENT})\s*;?\s*$`, "i")
const NOTIFY = new RegExp(String.raw`^NOTIFY\s+${IDENT}(?:\s*,\s*([eE]?)'((?:[^']|'')*)')?\s*;?\s*$`, "i")

const identifier = (raw: string): string =>
  raw.startsWith("\"") ? raw.slice(1, -1).replace(/""/g, "\"") : raw.toLowerCase()

const unescape = (body: string, escapes: boolean): string => {
  const s = body.replace(/''/g, "'")
  if (!escapes) return s
  return s.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" })[c] ?? c)
}

/** LISTEN, UNLISTEN or NOTIFY, or undefined for any other statement. Throws nothing: a malformed one is SQLite's to reject. */
export const parseNotificationStatement = (statement: string): NotificationStatement | undefined => {
  const s = statement.trim()
  const first = s.slice(0, 8).toUpperCase()
  if (!first.startsWith("LISTEN") && !first.startsWith("UNLISTEN") && !first.startsWith("NOTIFY")) return undefined
  let m = LISTEN.exec(s)
  if (m !== null) return { _tag: "Listen", channel: identifier(m[1]!) }
  m = UNLISTEN.exec(s)
  if (m !== null) return { _tag: "Unlisten", channel: m[1] === "*" ? "*" : identifier(m[1]!) }
  m = NOTIFY.exec(s)
  if (m !== null) return { _tag: "Notify", channel: identifier(m[1]!), payload: m[3] === undefined ? "" : unescape(m[3], m[2] !== "") }
  return undefined
}

/** Truncates like PostgreSQL, on a character boundary. */
const truncateIdentifier = (name: string): string => {
  let out = name
  while (Buffer.byteLength(out) > MAX_IDENTIFIER_BYTES) out = out.slice(0, -1)
  return out
}

/** What waits for the end of the transaction (or of the query string): in order. */
const PendingKey = SessionKey.make<Array<Effect.Effect<void>>>("sqlite.pendingNotifications", () => [])

const pendingOf = (session: Session) => session.state(PendingKey)

/** Moves the lane's pg_notify() calls into the pending actions, keeping statement order. */
const collect = (session: Session, sqlite: SqliteSession): Effect.Effect<void> =>
  Effect.suspend(() => {
    const notifies = sqlite.takeNotifications()
    if (notifies.length === 0) return Effect.void
    return Ref.update(pendingOf(session), (p) => [...p, ...notifies.map(([channel, payload]) => session.notify(channel, payload))])
  })

/** Runs the pending actions (COMMIT, or the end of a query string outside a transaction). */
const apply = (session: Session, sqlite: SqliteSession): Effect.Effect<void> =>
  Effect.zipRight(
    collect(session, sqlite),
    Effect.flatMap(Ref.getAndSet(pendingOf(session), []), (actions) => Effect.all(actions, { discard: true }))
  )

/** Drops the pending actions (ROLLBACK, or a failed query string outside a transaction). */
const discard = (session: Session, sqlite: SqliteSession): Effect.Effect<void> =>
  Effect.zipRight(Effect.sync(() => sqlite.takeNotifications()), Ref.set(pendingOf(session), []))

/** LISTEN, UNLISTEN or NOTIFY as a statement: queued like PostgreSQL's, CommandComplete with its tag. */
export const runNotificationStatement = (
  sqlite: SqliteSession,
  session: Session,
  statement: NotificationStatement
): Effect.Effect<QueryResult, PgError> =>
  Effect.gen(function*() {
    if (sqlite.transactionStatus === "E") {
      return yield* PgError.make("25P02", "current transaction is aborted, commands ignored until end of transaction block")
    }
    let channel = statement.channel
    if (channel !== "*" && Buffer.byteLength(channel) > MAX_IDENTIFIER_BYTES) {
      const truncated = truncateIdentifier(channel)
      yield* session.notice({ code: "42622", message: `identifier "${channel}" will be truncated to "${truncated}"` })
      channel = truncated
    }
    if (statement._tag === "Notify" && Buffer.byteLength(statement.payload) >= MAX_PAYLOAD_BYTES) {
      return yield* PgError.make("22023", "payload string too long")
    }
    const action = statement._tag === "Listen"
      ? session.listen(channel)
      : statement._tag === "Unlisten"
      ? session.unlisten(channel)
      : session.notify(channel, statement.payload)
    yield* collect(session, sqlite)
    yield* Ref.update(pendingOf(session), (p) => [...p, action])
    return Result.command(statement._tag === "Listen" ? "LISTEN" : statement._tag === "Unlisten" ? "UNLISTEN" : "NOTIFY")
  })

/** After a statement's result: COMMIT applies what is pending, ROLLBACK drops it. */
const afterResult = (session: Session, sqlite: SqliteSession, result: QueryResult): Effect.Effect<void> => {
  const transaction = "transaction" in result ? result.transaction : undefined
  if (transaction === "commit") return apply(session, sqlite)
  if (transaction === "rollback") return discard(session, sqlite)
  return Effect.void
}

/** At the end of a query string or an Execute: outside a transaction, apply on success and drop on failure. */
export const endOfStatements = (session: Session, sqlite: SqliteSession, success: boolean): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (sqlite.transactionStatus !== "I") return collect(session, sqlite)
    return success ? apply(session, sqlite) : discard(session, sqlite)
  })

/** A query string's results with PostgreSQL's NOTIFY/LISTEN timing applied around them. */
export const withNotifications = (
  session: Session,
  engineSession: Effect.Effect<SqliteSession>,
  results: Stream.Stream<QueryResult, PgError>
): Stream.Stream<QueryResult, PgError> =>
  Stream.unwrap(
    Effect.map(engineSession, (sqlite) =>
      results.pipe(
        Stream.tap((r) => afterResult(session, sqlite, r)),
        // After the stream's own finalizers: an implicit transaction block has been committed or rolled back by then.
        Stream.ensuringWith((exit) => endOfStatements(session, sqlite, Exit.isSuccess(exit)))
      ))
  )

/** For a single result (extended protocol Execute): the same rules once it has run. */
export const afterExecute = (
  session: Session,
  sqlite: SqliteSession,
  result: Exit.Exit<QueryResult, PgError>
): Effect.Effect<void> =>
  Exit.isSuccess(result)
    ? Effect.zipRight(afterResult(session, sqlite, result.value), endOfStatements(session, sqlite, true))
    : endOfStatements(session, sqlite, false)
