import type { CertificateFiles } from "./certs.mjs"

/** pg_hba method of a role: `cert` roles only get `hostssl` lines (client certificate, CN = role). */
export type AuthMethod = "trust" | "password" | "md5" | "scram-sha-256" | "cert"

export interface UserSpec {
  readonly name: string
  readonly password?: string
  readonly auth: AuthMethod
  readonly replication?: boolean
  readonly superuser?: boolean
}

export declare const PG_BIN: string
export declare const PSQL: string
/**
 * scram_user/scram_pass (scram-sha-256), md5_user/md5_pass (md5, stored as an md5 hash),
 * password_user/password_pass (cleartext `password` method), trust_user (trust),
 * repl_user/repl_pass (scram-sha-256, REPLICATION).
 */
export declare const DEFAULT_USERS: ReadonlyArray<UserSpec>

export interface PostgresOptions {
  /** ssl=on with a fresh CA and a server certificate for localhost/127.0.0.1; adds role `cert_user` (client certificate auth). */
  readonly tls?: boolean
  readonly tlsKeyType?: "rsa" | "ec"
  /** wal_level=logical, max_replication_slots=10, max_wal_senders=10. */
  readonly logical?: boolean
  /** More `-c name=value` server settings (override ours). */
  readonly settings?: Readonly<Record<string, string>>
  /** Extra roles, created after the defaults. */
  readonly users?: ReadonlyArray<UserSpec>
  /** Set false to create only the `postgres` superuser (and extra `users`). */
  readonly defaultUsers?: boolean
  /** pg_hba.conf lines placed before the generated ones (first match wins). */
  readonly hba?: ReadonlyArray<string>
  /** Default 30000. */
  readonly startTimeoutMs?: number
}

export interface PostgresCluster {
  readonly host: "127.0.0.1"
  readonly port: number
  /** Unix socket directory (pass as `host` to libpq/psql, or `${socketDir}/.s.PGSQL.${port}`). */
  readonly socketDir: string
  readonly dataDir: string
  /** Every role by name, including `postgres` (superuser, trust on socket and 127.0.0.1). */
  readonly users: Readonly<Record<string, UserSpec>>
  /** With `tls: true`: the CA to verify the server with (verify-full works for localhost and 127.0.0.1). */
  readonly caFile?: string
  readonly certFile?: string
  readonly keyFile?: string
  /** With `tls: true`: client certificates by CN (`cert_user`). */
  readonly clientCerts?: Readonly<Record<string, CertificateFiles>>
  /** postgresql://user[:password]@127.0.0.1:port/db; the password defaults to the role's known one. */
  url(user: string, password?: string, db?: string): string
  /** Runs SQL with psql over the socket (default as `postgres`), returns unaligned tuples-only output. */
  psql(sql: string, options?: { readonly user?: string; readonly db?: string; readonly args?: ReadonlyArray<string> }): Promise<string>
  /** The server's log so far (last 256 KiB). */
  log(): string
  /** Immediate shutdown, then deletes the directory. Idempotent. Also done on process exit. */
  stop(): Promise<void>
}

export declare function startPostgres(options?: PostgresOptions): Promise<PostgresCluster>
