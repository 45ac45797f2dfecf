import { Context, Effect, Layer } from "effect"
import type { StartupInfo } from "../session/Session.js"

/** The ParameterStatus values sent after authentication. */
export interface ServerParametersShape {
  readonly initial: (info: StartupInfo) => Effect.Effect<ReadonlyArray<readonly [name: string, value: string]>>
}

// Startup parameters a client may set for its session, reported back as PostgreSQL does.
const CLIENT_SETTABLE = ["application_name", "DateStyle", "IntervalStyle", "TimeZone"] as const

/** PostgreSQL's usual reported parameters for a UTF-8 server, with the client's own startup settings applied. */
export const defaultServerParameters = (info: StartupInfo): Array<readonly [string, string]> => {
  const params: Record<string, string> = {
    server_version: "16.0",
    server_encoding: "UTF8",
    client_encoding: "UTF8",
    DateStyle: "ISO, MDY",
    IntervalStyle: "postgres",
    TimeZone: "UTC",
    integer_datetimes: "on",
    standard_conforming_strings: "on",
    application_name: "",
    is_superuser: "off",
    session_authorization: info.user,
    default_transaction_read_only: "off",
    in_hot_standby: "off"
  }
  for (const name of CLIENT_SETTABLE) {
    const v = info.startupParameters.get(name)
    if (v !== undefined) params[name] = v
  }
  return Object.entries(params)
}

export class ServerParameters extends Context.Tag("@pgwire-ts/server/ServerParameters")<
  ServerParameters,
  ServerParametersShape
>() {
  static readonly defaults: ServerParametersShape = {
    initial: (info) => Effect.succeed(defaultServerParameters(info))
  }

  /** The defaults with `overrides` replacing or adding values. */
  static layer(overrides: Readonly<Record<string, string>>): Layer.Layer<ServerParameters> {
    return Layer.succeed(ServerParameters, {
      initial: (info) => Effect.succeed(mergeParameters(defaultServerParameters(info), overrides))
    })
  }

  static layerFrom(initial: ServerParametersShape["initial"]): Layer.Layer<ServerParameters> {
    return Layer.succeed(ServerParameters, { initial })
  }
}

const mergeParameters = (
  base: Array<readonly [string, string]>,
  overrides: Readonly<Record<string, string>>
): Array<readonly [string, string]> => {
  const out = new Map(base)
  for (const [k, v] of Object.entries(overrides)) out.set(k, v)
  return [...out]
}
