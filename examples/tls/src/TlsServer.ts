/** The TLS-only server as one Layer: certificate files in, a listening server out. */
import { Server, type ServerError, type ServerOptions } from "@pgwire-ts/server"
import { Effect, Layer } from "effect"
import { ConnectionInfoHandler } from "./ConnectionInfoHandler.js"
import { loadTlsOptions, type TlsFiles, type TlsFilesError } from "./tlsFiles.js"

export interface TlsServerOptions extends Omit<ServerOptions, "tls"> {
  readonly tls: TlsFiles
}

export const layer = (options: TlsServerOptions): Layer.Layer<Server, ServerError | TlsFilesError> => {
  const { tls, ...serverOptions } = options
  return Layer.unwrapEffect(
    Effect.map(loadTlsOptions(tls), (tlsOptions) => Server.layer({ ...serverOptions, tls: tlsOptions }))
  ).pipe(Layer.provide(ConnectionInfoHandler))
}
