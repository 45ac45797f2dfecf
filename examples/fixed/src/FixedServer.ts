import { Server, type ServerError, type ServerOptions } from "@pgwire-ts/server"
import { Layer } from "effect"
import { type FixedOptions, layer as handlerLayer } from "./FixedHandler.js"

/** The fixed-result server (trust auth) as a Layer; `port: 0` picks a free port. */
export const layer = (options: ServerOptions & FixedOptions = {}): Layer.Layer<Server, ServerError> => {
  const { series, ...server } = options
  return Server.layer(server).pipe(Layer.provide(handlerLayer(series === undefined ? {} : { series })))
}
