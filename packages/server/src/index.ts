export { Server, type ServerAddress, type ServerShape } from "./Server.js"
export { ServerError } from "./ServerError.js"
export type { AuthMethod, ServerLimits, ServerOptions } from "./ServerOptions.js"
export type { OAuthOptions, OAuthValidation } from "./auth/OAuthBearerAuth.js"
export type { TlsOptions } from "./transport/TlsOptions.js"
export { SimpleQueryHandler, type SimpleQueryHandlerShape, type StatementHandler, perStatement } from "./handlers/SimpleQueryHandler.js"
export { AuthSource, type AuthSourceShape, Credential, CredentialError } from "./handlers/AuthSource.js"
export { ServerParameters, type ServerParametersShape, defaultServerParameters } from "./handlers/ServerParameters.js"
export { PgError, type PgErrorProps, type Notice, noticeFields } from "./errors/PgError.js"
export { QueryResult, EncodedRow, type Row, type RowsResult, type CommandResult, type EmptyResult, type RowsOptions, type TransactionChange } from "./results/QueryResult.js"
export { ResultSet } from "./results/ResultSet.js"
export { type Field, type FieldOptions, field } from "./results/Field.js"
export { RowEncoder, RowEncodeError, type FormatCode } from "./results/RowEncoder.js"
export type { Session, SessionKey as SessionKeyType, StartupInfo, TransactionStatus, AuthMethodUsed } from "./session/Session.js"
export { SessionKey } from "./session/Session.js"
export type { RemoteInfo, TlsInfo, PeerCertificate } from "./session/ConnectionInfo.js"
export { splitStatements } from "./sql/splitStatements.js"
export * as MemorySocket from "./transport/MemorySocket.js"
export { Testing, TestServer, type TestServerShape } from "./testing/Testing.js"
export {
  makeTestClient,
  TestClientError,
  type QueryOutcome,
  type StartupOptions,
  type StartupOutcome,
  type StatementOutcome,
  type TestClient
} from "./testing/TestClient.js"
export { CancelRegistry, type CancelRegistryShape, type CancelKey, makeCancelRegistry } from "./cancel/CancelRegistry.js"
export type { QueryCancellation } from "./cancel/QueryCancellation.js"
export { CurrentSession } from "./session/CurrentSession.js"
export { QueryParser, type ParsedStatement, type QueryParserShape } from "./handlers/QueryParser.js"
export { ExtendedQueryHandler, type ExtendedQueryHandlerShape, type Portal } from "./handlers/ExtendedQueryHandler.js"
export {
  PortalStore,
  makeInMemoryPortals,
  type PortalHandle,
  type PortalLimits,
  type PortalStoreShape,
  type PreparedStatement,
  type SessionPortals
} from "./handlers/PortalStore.js"
export type {
  CopyBothOptions,
  CopyBothResult,
  CopyFormatCode,
  CopyInOptions,
  CopyInResult,
  CopyOutOptions,
  CopyOutResult,
  CopyResult
} from "./copy/CopyResult.js"
export type { CopyFromOptions, CopySpec, CopyToOptions } from "./copy/CopyRows.js"
export {
  makeNotifications,
  type Notification,
  type NotificationListener,
  Notifications,
  type NotificationsOptions,
  type NotificationsShape
} from "./notifications/Notifications.js"
export { CopyHandler, type CopyHandlerShape, type CopyFromTarget, type CopyToSource } from "./handlers/CopyHandler.js"
export {
  type CreatedSlot,
  type CreateSlotRequest,
  KeepaliveRequest,
  ReplicationHandler,
  type ReplicationHandlerShape,
  type ReplicationStream,
  type SlotInfo,
  type SnapshotAction,
  type StartReplicationRequest,
  type SystemIdentity,
  type TimelineHistory,
  type WalMessage
} from "./replication/ReplicationHandler.js"
export { MAX_PGOUTPUT_VERSION, type PgOutputOptions, parsePgOutputOptions, splitIdentifiers } from "./replication/pgOutputOptions.js"
export { parseReplicationCommand, type ReplicationCommand } from "./replication/replicationCommand.js"
export { type ReplicationMode, replicationModeOf } from "./replication/replicationMode.js"
export { PreparedStatements } from "./extended/PreparedStatements.js"
export { Cluster } from "./cluster/Cluster.js"
export type { ClusterOptions, ClusterPrimaryShape, ClusterWorkerInfo } from "./cluster/ClusterPrimary.js"
export { type ClusterCancelRegistry, makeClusterCancelRegistry } from "./cluster/ClusterCancelRegistry.js"
export { type CommandLine, type FlagSpec, type FlagValues, parseCommandLine } from "./cli/commandLine.js"
export { runServerMain } from "./cli/runServerMain.js"
