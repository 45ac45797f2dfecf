import { Effect, Option } from "effect"
import { ExtendedQueryHandler, type ExtendedQueryHandlerShape } from "../handlers/ExtendedQueryHandler.js"
import { PortalStore, type PortalStoreShape, type SessionPortals } from "../handlers/PortalStore.js"
import { QueryParser, type QueryParserShape } from "../handlers/QueryParser.js"

/** The extended-query services of a server; absent when it has no QueryParser or no ExtendedQueryHandler. */
export interface ExtendedEnv {
  readonly parser: QueryParserShape
  readonly handler: ExtendedQueryHandlerShape
  readonly store: PortalStoreShape
}

const defaultStore = PortalStore.makeInMemory()

/** Reads the optional extended-query services from the context (called once per server). */
export const makeExtendedEnv: Effect.Effect<ExtendedEnv | undefined> = Effect.gen(function* () {
  const parser = yield* Effect.serviceOption(QueryParser)
  const handler = yield* Effect.serviceOption(ExtendedQueryHandler)
  const store = yield* Effect.serviceOption(PortalStore)
  if (Option.isNone(parser) || Option.isNone(handler)) return undefined
  return { parser: parser.value, handler: handler.value, store: Option.getOrElse(store, () => defaultStore) }
})

/** One connection's extended-query state, made on its first Parse/Bind/Describe/Execute/Close. */
export class ExtendedSession {
  /** Set when an executed statement committed or rolled back: the transaction's portals end. */
  transactionEnded = false

  constructor(readonly portals: SessionPortals) {}
}
