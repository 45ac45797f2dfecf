export { Client, connect, type ExecuteOptions, type Notice, type Notification, type PgClient, type PipelineQuery, resolveConfig, type StreamOptions } from "./Client.js"
export {
  type AuthMethodName,
  type ChannelBinding,
  type ClientConfig,
  type ClientOptions,
  type ProtocolVersionName,
  type SslMode,
  type SslNegotiation,
  parseRequireAuth,
  resolveClientConfig
} from "./config/ClientConfig.js"
export { clientOptionsFromEnv } from "./config/fromEnv.js"
export { parseConnectionString, parseConnectionUri, parseKeywordValue } from "./config/parseConnectionString.js"
export { PgConnectionError, type PgConnectionErrorReason, PgError, type PgQueryError, PgValueError } from "./errors.js"
export { PreparedStatement, type ResultFormat } from "./requests/PreparedStatement.js"
export type { SimpleQueryEvent } from "./requests/SimpleQuery.js"
export { parseCommandTag, type QueryResult } from "./results/QueryResult.js"
export type { Row } from "./results/RowDecoder.js"
