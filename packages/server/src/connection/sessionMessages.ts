/**
 * The frontend messages a session may send once startup is over. Both the
 * Ready and SkipUntilSync phases accept all of them (the latter discards all
 * but Sync and Terminate); anything else is a protocol violation.
 */
export const sessionMessages = new Set([
  "Query",
  "Terminate",
  "Parse",
  "Bind",
  "Describe",
  "Execute",
  "Close",
  "Flush",
  "Sync",
  "FunctionCall",
  "CopyData",
  "CopyDone",
  "CopyFail"
] as const)

export type SessionMessageTag = typeof sessionMessages extends ReadonlySet<infer T> ? T : never
