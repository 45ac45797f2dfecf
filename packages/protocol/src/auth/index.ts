export { AuthInputError, ScramError } from "./AuthErrors.js"
export { isMd5PasswordHash, MD5_SALT_LENGTH, md5ClientResponse, md5PasswordHash, md5SaltedResponse, verifyMd5Response } from "./md5.js"
export { saslprep } from "./saslprep.js"
export { isScramMechanism, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, type ScramMechanism, TLS_SERVER_END_POINT } from "./scramAttributes.js"
export { SCRAM_DEFAULT_MAX_ITERATIONS, type ScramClientOptions, ScramClientSession } from "./ScramClientSession.js"
export { SCRAM_RAW_NONCE_LENGTH, type ScramServerOptions, ScramServerSession } from "./ScramServerSession.js"
export {
  formatScramVerifier,
  isMockScramVerifier,
  makeScramVerifier,
  mockScramVerifier,
  parseScramVerifier,
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_LENGTH,
  type ScramVerifier
} from "./ScramVerifier.js"
export { tlsServerEndPointHash, tlsServerEndPointHashAlgorithm } from "./tlsServerEndPoint.js"
export {
  type BearerCredentials,
  buildOAuthBearerChallenge,
  buildOAuthBearerInitialResponse,
  isBearerToken,
  isOAuthBearerErrorAck,
  OAUTHBEARER,
  OAUTHBEARER_ERROR_ACK,
  OAUTHBEARER_KVSEP,
  OAUTHBEARER_MAX_MESSAGE_LENGTH,
  type OAuthBearerChallenge,
  type OAuthBearerClientResponse,
  OAuthBearerError,
  type OAuthBearerInitialResponseOptions,
  oauthDiscoveryUrl,
  parseBearerCredentials,
  parseOAuthBearerChallenge,
  parseOAuthBearerClientResponse
} from "./oauthbearer.js"
