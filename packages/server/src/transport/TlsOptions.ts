/** TLS settings of a server (PEM strings or buffers). */
export interface TlsOptions {
  readonly cert: string | Buffer
  readonly key: string | Buffer
  /** CA bundle that client certificates must chain to (for `requestCert` / `cert` auth). */
  readonly ca?: string | Buffer | undefined
  /** Ask clients for a certificate (needed by the `cert` auth method). */
  readonly requestCert?: boolean | undefined
  /** Refuse unencrypted sessions: a plaintext StartupMessage gets FATAL 28000. */
  readonly required?: boolean | undefined
  /** Accept direct TLS (PostgreSQL 17 `sslnegotiation=direct`, ALPN `postgresql`). Default true. */
  readonly directTls?: boolean | undefined
}
