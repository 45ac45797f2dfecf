import { randomBytes } from "node:crypto"
import { Effect, Option } from "effect"
import { CancelRegistry, makeCancelRegistry } from "../cancel/CancelRegistry.js"
import { AuthSource } from "../handlers/AuthSource.js"
import { CopyHandler } from "../handlers/CopyHandler.js"
import { ReplicationHandler } from "../replication/ReplicationHandler.js"
import { makeNotifications, Notifications } from "../notifications/Notifications.js"
import { ServerParameters } from "../handlers/ServerParameters.js"
import { SimpleQueryHandler } from "../handlers/SimpleQueryHandler.js"
import { ServerError } from "../ServerError.js"
import type { ServerConfig } from "../ServerOptions.js"
import type { ServerEnv } from "./Conn.js"
import { makeExtendedEnv } from "./ExtendedSession.js"
import { Registry } from "./Registry.js"

/**
 * Reads the handler services present in the context (each optional) and
 * checks the options against them (a per-connection auth function is checked
 * per connection instead).
 */
export const makeEnv = (config: ServerConfig): Effect.Effect<ServerEnv, ServerError> =>
  Effect.gen(function* () {
    const simpleQuery = yield* Effect.serviceOption(SimpleQueryHandler)
    const authSource = yield* Effect.serviceOption(AuthSource)
    const parameters = yield* Effect.serviceOption(ServerParameters)
    const cancelRegistry = yield* Effect.serviceOption(CancelRegistry)
    const notifications = yield* Effect.serviceOption(Notifications)
    const copyHandler = yield* Effect.serviceOption(CopyHandler)
    const replication = yield* Effect.serviceOption(ReplicationHandler)
    const method = config.fixedAuth
    if (Option.isNone(authSource) && (method === "password" || method === "md5" || method === "scram-sha-256")) {
      return yield* new ServerError({ reason: `auth method "${method}" needs an AuthSource layer` })
    }
    if (method === "cert" && (config.tls === undefined || config.tls.requestCert !== true)) {
      return yield* new ServerError({ reason: `auth method "cert" needs tls with requestCert: true` })
    }
    if ((method === "oauth" && config.oauth === undefined) || config.oauth?.issuer === "") {
      return yield* new ServerError({ reason: `auth method "oauth" needs the oauth option with an issuer, scope and validate` })
    }
    return {
      config,
      simpleQuery: Option.getOrUndefined(simpleQuery),
      extended: yield* makeExtendedEnv,
      authSource: Option.getOrUndefined(authSource),
      parameters: Option.getOrElse(parameters, () => ServerParameters.defaults),
      registry: new Registry(),
      cancelRegistry: Option.getOrElse(cancelRegistry, () => makeCancelRegistry()),
      notifications: Option.isSome(notifications) ? notifications.value : yield* makeNotifications(),
      copyHandler: Option.getOrUndefined(copyHandler),
      replication: Option.getOrUndefined(replication),
      mockScramSecret: new Uint8Array(randomBytes(32))
    }
  })
