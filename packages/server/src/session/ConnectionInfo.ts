/** Where a connection comes from, as handlers see it in `Session.remote`. */
export type RemoteInfo =
  | { readonly _tag: "Tcp"; readonly address: string; readonly port: number }
  | { readonly _tag: "Unix"; readonly path: string }
  | { readonly _tag: "Memory" }

/** The client certificate of a TLS connection, when the client sent one. */
export interface PeerCertificate {
  /** The subject's CN, the name `cert` authentication compares with the user. */
  readonly commonName: string | undefined
  readonly subject: Readonly<Record<string, string>>
  readonly fingerprint256: string
  /** DER bytes. */
  readonly raw: Uint8Array
  /** Whether the certificate chains to the configured CA (`tls.ca`). */
  readonly authorized: boolean
}

/** TLS facts of a connection, in `Session.tls`. */
export interface TlsInfo {
  /** "TLSv1.3"... */
  readonly protocol: string | undefined
  readonly cipher: string | undefined
  /** Server name indication sent by the client. */
  readonly sni: string | undefined
  /** Negotiated ALPN protocol ("postgresql" for direct TLS). */
  readonly alpn: string | undefined
  /** How TLS began: after an SSLRequest, or direct (PostgreSQL 17 `sslnegotiation=direct`). */
  readonly negotiation: "SSLRequest" | "direct"
  readonly peerCertificate: PeerCertificate | undefined
}
