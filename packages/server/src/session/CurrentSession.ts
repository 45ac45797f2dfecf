import { Context } from "effect"
import type { Session } from "./Session.js"

/**
 * The session of the query being run, as an Effect service: the server
 * provides it to every handler effect and result stream it runs, so code deep
 * inside a handler can `yield* CurrentSession` instead of passing the session down.
 */
export class CurrentSession extends Context.Tag("@pgwire-ts/server/CurrentSession")<CurrentSession, Session>() {}
