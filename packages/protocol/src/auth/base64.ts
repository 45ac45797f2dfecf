export const encodeBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/**
 * The decoded bytes, or undefined when `text` is not canonical padded base64. Node's decoder
 * skips invalid characters and ignores the unused bits of the last character, so we accept
 * only text that encodes back to itself: one value has exactly one spelling.
 */
export const decodeBase64 = (text: string): Uint8Array | undefined => {
  const bytes = Buffer.from(text, "base64")
  return bytes.toString("base64") === text ? new Uint8Array(bytes) : undefined
}
