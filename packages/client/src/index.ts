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
export { OAuthChallenge, type OAuthBearerTokenSource } from "./auth/OAuthBearer.js"
export { parseConnectionString, parseConnectionUri, parseKeywordValue } from "./config/parseConnectionString.js"
export { PgConnectionError, type PgConnectionErrorReason, PgError, type PgQueryError, PgValueError } from "./errors.js"
export { PreparedStatement, type ResultFormat } from "./requests/PreparedStatement.js"
export type { SimpleQueryEvent } from "./requests/SimpleQuery.js"
export { parseCommandTag, type QueryResult } from "./results/QueryResult.js"
export type { Row } from "./results/RowDecoder.js"
export {
  LogicalReplication,
  type LogicalReplicationOptions,
  type LogicalReplicationStream,
  type ReplicationConnectionOptions,
  connectReplication
} from "./replication/LogicalReplication.js"
export type { ReplicationMessage } from "./replication/StartReplicationRequest.js"
export { ChangeDecoder, type RelationName, type RowChange, type RowValues, UnknownRelationError } from "./replication/ChangeDecoder.js"
export { createSlotCommand, dropSlotCommand, startReplicationCommand } from "./replication/commands.js"
export { type CommittedTransaction, TransactionAssembler, TransactionFramingError } from "./replication/TransactionAssembler.js"
