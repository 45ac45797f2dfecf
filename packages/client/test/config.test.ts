// Connection settings: URIs, libpq keyword/value strings, the PG* environment through
// Effect Config, and the validation that turns bad settings into PgConnectionError "Config".
import { Client, PgConnectionError, clientOptionsFromEnv, parseConnectionString, parseRequireAuth, resolveClientConfig, resolveConfig } from "@pgwire-ts/client"
import { ConfigProvider, Effect, Exit, Redacted } from "effect"
import { describe, expect, it } from "vitest"

const configError = (f: () => unknown): PgConnectionError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(PgConnectionError)
    expect((e as PgConnectionError).reason).toBe("Config")
    return e as PgConnectionError
  }
  throw new Error("expected a PgConnectionError")
}

describe("parseConnectionString (URI)", () => {
  it("reads user, password, host, port, database and query options", () => {
    expect(parseConnectionString("postgresql://al%40ice:p%3Ass@db.example:6543/my%20db?sslmode=verify-full&application_name=app&channel_binding=require")).toEqual({
      user: "al@ice",
      password: "p:ss",
      host: "db.example",
      port: 6543,
      database: "my db",
      sslmode: "verify-full",
      applicationName: "app",
      channelBinding: "require"
    })
  })

  it("accepts postgres://, IPv6 hosts, and a Unix socket directory in host= or percent-encoded", () => {
    expect(parseConnectionString("postgres://[::1]:5433/db")).toEqual({ host: "::1", port: 5433, database: "db" })
    expect(parseConnectionString("postgresql:///db?host=/var/run/postgresql")).toEqual({ database: "db", host: "/var/run/postgresql" })
    expect(parseConnectionString("postgresql://%2Ftmp%2Fpg/db")).toEqual({ host: "/tmp/pg", database: "db" })
    expect(parseConnectionString("postgresql://")).toEqual({})
  })

  it("keeps '+' literal in query values (not form encoding) and reads protocol versions", () => {
    expect(parseConnectionString("postgresql://h/d?options=-c%20a%3Db+c&max_protocol_version=3.2&min_protocol_version=3.0")).toEqual({
      host: "h",
      database: "d",
      options: "-c a=b+c",
      maxProtocolVersion: "3.2",
      minProtocolVersion: "3.0"
    })
  })

  it("converts connect_timeout seconds to milliseconds", () => {
    expect(parseConnectionString("postgresql://h?connect_timeout=5").connectTimeoutMs).toBe(5000)
    expect(parseConnectionString("postgresql://h?connect_timeout=0").connectTimeoutMs).toBe(0)
  })

  it("refuses unknown options, bad numbers, bad escapes and multiple hosts", () => {
    expect(configError(() => parseConnectionString("postgresql://h?bogus=1")).message).toContain('invalid connection option "bogus"')
    configError(() => parseConnectionString("postgresql://h:notaport/db"))
    configError(() => parseConnectionString("postgresql://h/%E0%A4%A"))
    configError(() => parseConnectionString("postgresql://a,b/db"))
    configError(() => parseConnectionString("postgresql://h?sslmode"))
    configError(() => parseConnectionString("postgresql://h?client_encoding=LATIN1"))
  })
})

describe("parseConnectionString (keyword/value)", () => {
  it("reads keywords, quoted values with escapes, and spaces around =", () => {
    expect(parseConnectionString("host=/tmp port = 5433 dbname='my db' user=bob password='it\\'s \\\\ x' sslmode=disable")).toEqual({
      host: "/tmp",
      port: 5433,
      database: "my db",
      user: "bob",
      password: "it's \\ x",
      sslmode: "disable"
    })
    expect(parseConnectionString("require_auth=!password,!md5 sslnegotiation=direct")).toEqual({ requireAuth: "!password,!md5", sslnegotiation: "direct" })
    expect(parseConnectionString("   ")).toEqual({})
  })

  it("refuses a missing '=', an unterminated quote and unknown keywords", () => {
    configError(() => parseConnectionString("host"))
    configError(() => parseConnectionString("host='abc"))
    configError(() => parseConnectionString("nope=1"))
  })
})

describe("resolveClientConfig", () => {
  it("fills libpq's defaults", () => {
    const c = resolveClientConfig({ user: "u" })
    expect(c).toMatchObject({
      host: "localhost",
      port: 5432,
      user: "u",
      database: "u",
      sslmode: "prefer",
      sslnegotiation: "postgres",
      channelBinding: "prefer",
      maxProtocolVersion: "3.0",
      minProtocolVersion: "3.0",
      connectTimeoutMs: 30000,
      statementCacheSize: 100
    })
    expect(c.password).toBeUndefined()
    expect([...c.allowedAuth].sort()).toEqual(["gss", "md5", "none", "oauth", "password", "scram-sha-256", "sspi"])
  })

  it("keeps the password redacted and maps max_protocol_version=latest to 3.2", () => {
    const c = resolveClientConfig({ user: "u", password: "secret", maxProtocolVersion: "latest" })
    expect(Redacted.value(c.password!)).toBe("secret")
    expect(String(c.password)).not.toContain("secret")
    expect(c.maxProtocolVersion).toBe("3.2")
  })

  it("refuses invalid and contradictory settings", () => {
    configError(() => resolveClientConfig({ sslmode: "sometimes" as never }))
    configError(() => resolveClientConfig({ port: 70000 }))
    configError(() => resolveClientConfig({ sslnegotiation: "direct", sslmode: "prefer" }))
    configError(() => resolveClientConfig({ channelBinding: "require", sslmode: "disable" }))
    configError(() => resolveClientConfig({ minProtocolVersion: "3.2", maxProtocolVersion: "3.0" }))
    configError(() => resolveClientConfig({ maxProtocolVersion: "3.1" as never }))
    configError(() => resolveClientConfig({ parameters: { "a\0b": "x" } }))
  })
})

describe("parseRequireAuth", () => {
  it("reads allowed lists and negated lists", () => {
    expect([...parseRequireAuth("scram-sha-256")]).toEqual(["scram-sha-256"])
    expect([...parseRequireAuth(["md5", "scram-sha-256"])]).toEqual(["md5", "scram-sha-256"])
    expect([...parseRequireAuth("!password,!md5")].sort()).toEqual(["gss", "none", "oauth", "scram-sha-256", "sspi"])
  })

  it("refuses mixed and unknown methods", () => {
    configError(() => parseRequireAuth("md5,!password"))
    configError(() => parseRequireAuth("kerberos"))
  })
})

describe("clientOptionsFromEnv", () => {
  const fromMap = (env: Record<string, string>) =>
    Effect.runSync(Effect.withConfigProvider(clientOptionsFromEnv, ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it("reads the PG* variables that are set, and only those", () => {
    const options = fromMap({
      PGHOST: "/run/pg",
      PGPORT: "6000",
      PGUSER: "env_user",
      PGPASSWORD: "env_pw",
      PGDATABASE: "env_db",
      PGSSLMODE: "require",
      PGAPPNAME: "from-env",
      PGCHANNELBINDING: "disable",
      PGREQUIREAUTH: "scram-sha-256",
      PGMAXPROTOCOLVERSION: "3.2",
      PGCONNECT_TIMEOUT: "7",
      PGOPTIONS: "-c work_mem=64MB"
    })
    expect(Redacted.value(options.password as Redacted.Redacted<string>)).toBe("env_pw")
    const c = resolveClientConfig(options)
    expect(c).toMatchObject({
      host: "/run/pg",
      port: 6000,
      user: "env_user",
      database: "env_db",
      sslmode: "require",
      applicationName: "from-env",
      channelBinding: "disable",
      maxProtocolVersion: "3.2",
      connectTimeoutMs: 7000,
      options: "-c work_mem=64MB"
    })
    expect([...c.allowedAuth]).toEqual(["scram-sha-256"])
    expect(fromMap({})).toEqual({})
  })

  it("is what Client.fromEnv gives, and a bad PGPORT is a ConfigError", () => {
    expect(Client.fromEnv).toBe(clientOptionsFromEnv)
    const exit = Effect.runSyncExit(Effect.withConfigProvider(clientOptionsFromEnv, ConfigProvider.fromMap(new Map([["PGPORT", "x"]]))))
    expect(Exit.isFailure(exit)).toBe(true)
  })
})

describe("resolveConfig", () => {
  it("fails with PgConnectionError for a bad string, never throws", async () => {
    const exit = await Effect.runPromiseExit(resolveConfig("postgresql://h?sslmode=maybe"))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause : undefined
    expect(JSON.stringify(error)).toContain("Config")
  })
})
