export * from "./buffer/Reader.js"
export * from "./buffer/Writer.js"
export * from "./errors/ProtocolDecodeError.js"
export * from "./framer/MessageFramer.js"
