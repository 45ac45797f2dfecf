export * from "./oids.js"
export * from "./TypeCodec.js"
export { TypeDecodeError, TypeEncodeError, type ValueFormat } from "./TypeErrors.js"
export { boolCodec } from "./bool.js"
export { int2Codec, int4Codec, int8Codec, oidCodec } from "./integers.js"
export { float4Codec, float8Codec, formatFloat4, formatFloat8 } from "./floats.js"
export { numericCodec, parseNumeric } from "./numeric.js"
export {
  bpcharCodec,
  charCodec,
  makeStringCodec,
  makeTextPassthroughCodec,
  nameCodec,
  textCodec,
  unknownCodec,
  varcharCodec,
  xmlCodec
} from "./strings.js"
export { byteaCodec } from "./bytea.js"
export { uuidCodec } from "./uuid.js"
export { jsonbCodec, jsonCodec } from "./json.js"
export {
  dateCodec,
  dateToDateText,
  dateToTimestampText,
  microsToTimestampText,
  dateTextToDate,
  timestampTextToDate,
  timestampTextToMicros,
  timeCodec,
  timestampCodec,
  timestamptzCodec,
  timetzCodec
} from "./datetime.js"
export { formatInterval, intervalCodec, parseInterval, type PgInterval } from "./interval.js"
export { makeArrayCodec, quoteArrayElement } from "./array.js"
export { codecForOid, defaultTextCodec, inferOid, knownCodecForOid, PgTypes } from "./registry.js"
