export interface CertificateOptions {
  /** Subject CN of the server certificate (default "localhost"). */
  readonly cn?: string
  /** Subject alternative names: host names and IP addresses, or prefixed entries like "DNS:x" (default ["localhost", "127.0.0.1"]). */
  readonly sans?: ReadonlyArray<string>
  /** Key algorithm for the CA, server and clients (default "rsa", 2048 bits; "ec" is P-256). */
  readonly keyType?: "rsa" | "ec"
  /** Signature digest (default "sha256"); matters for tls-server-end-point channel binding. */
  readonly digest?: "sha256" | "sha384" | "sha512"
  /** CNs of client certificates to issue (for `cert` authentication). */
  readonly clients?: ReadonlyArray<string>
}

export interface CertificateFiles {
  readonly certFile: string
  readonly keyFile: string
}

export interface Certificates extends CertificateFiles {
  readonly dir: string
  /** The self-signed CA certificate: give it to clients for verify-full. */
  readonly caFile: string
  readonly caKeyFile: string
  /** Client certificates by CN. */
  readonly clients: Readonly<Record<string, CertificateFiles>>
}

/** Writes a CA, a server certificate and optional client certificates into `dir` with openssl. */
export declare function makeCertificates(dir: string, options?: CertificateOptions): Promise<Certificates>
