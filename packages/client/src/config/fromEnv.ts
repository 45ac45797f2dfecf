/**
 * ClientOptions from libpq's environment variables, as an Effect `Config`, so
 * they come from whatever ConfigProvider the application runs with.
 */
import { Config, Option } from "effect"
import type { ChannelBinding, ClientOptions, ProtocolVersionName, SslMode, SslNegotiation } from "./ClientConfig.js"

const opt = (name: string) => Config.option(Config.string(name))

/**
 * PGHOST, PGPORT, PGUSER, PGPASSWORD (redacted), PGDATABASE, PGAPPNAME,
 * PGSSLMODE, PGSSLNEGOTIATION, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY,
 * PGCHANNELBINDING, PGREQUIREAUTH, PGMAXPROTOCOLVERSION, PGMINPROTOCOLVERSION,
 * PGCONNECT_TIMEOUT (seconds), PGOPTIONS. Unset variables are left out, so
 * the defaults apply; values are validated when the client connects.
 */
export const clientOptionsFromEnv: Config.Config<ClientOptions> = Config.all({
  host: opt("PGHOST"),
  port: Config.option(Config.integer("PGPORT")),
  user: opt("PGUSER"),
  password: Config.option(Config.redacted("PGPASSWORD")),
  database: opt("PGDATABASE"),
  applicationName: opt("PGAPPNAME"),
  sslmode: opt("PGSSLMODE"),
  sslnegotiation: opt("PGSSLNEGOTIATION"),
  sslrootcert: opt("PGSSLROOTCERT"),
  sslcert: opt("PGSSLCERT"),
  sslkey: opt("PGSSLKEY"),
  channelBinding: opt("PGCHANNELBINDING"),
  requireAuth: opt("PGREQUIREAUTH"),
  maxProtocolVersion: opt("PGMAXPROTOCOLVERSION"),
  minProtocolVersion: opt("PGMINPROTOCOLVERSION"),
  connectTimeout: Config.option(Config.integer("PGCONNECT_TIMEOUT")),
  options: opt("PGOPTIONS")
}).pipe(
  Config.map((env): ClientOptions => {
    const out: { -readonly [K in keyof ClientOptions]: ClientOptions[K] } = {}
    const set = <K extends keyof ClientOptions>(key: K, value: Option.Option<NonNullable<ClientOptions[K]>>) => {
      if (Option.isSome(value)) out[key] = value.value
    }
    set("host", env.host)
    set("port", env.port)
    set("user", env.user)
    set("password", env.password)
    set("database", env.database)
    set("applicationName", env.applicationName)
    set("sslmode", env.sslmode as Option.Option<SslMode>)
    set("sslnegotiation", env.sslnegotiation as Option.Option<SslNegotiation>)
    set("sslrootcert", env.sslrootcert)
    set("sslcert", env.sslcert)
    set("sslkey", env.sslkey)
    set("channelBinding", env.channelBinding as Option.Option<ChannelBinding>)
    set("requireAuth", env.requireAuth)
    set("maxProtocolVersion", env.maxProtocolVersion as Option.Option<ProtocolVersionName | "latest">)
    set("minProtocolVersion", env.minProtocolVersion as Option.Option<ProtocolVersionName>)
    if (Option.isSome(env.connectTimeout)) out.connectTimeoutMs = env.connectTimeout.value <= 0 ? 0 : env.connectTimeout.value * 1000
    set("options", env.options)
    return out
  })
)
