import { Server, type ServerError, type ServerOptions } from "@pgwire-ts/server"
import { Layer } from "effect"
import { type FixedOptions, handlersLayer } from "./FixedHandler.js"

/** The fixed-result server (trust auth, simple and extended query) as a Layer; `port: 0` picks a free port. */
export const layer = (options: ServerOptions & FixedOptions = {}): Layer.Layer<Server, ServerError> => {
  const { series, ...server } = options
  return Server.layer(server).pipe(Layer.provide(handlersLayer(series === undefined ? {} : { series })))
}
