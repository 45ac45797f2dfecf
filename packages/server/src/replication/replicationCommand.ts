/**
 * The replication command language (PostgreSQL's repl_gram.y): what a
 * `replication=database` connection's Query means when its first word is a
 * replication command. Anything else is ordinary SQL.
 */
import { SqlState } from "@pgwire-ts/protocol"
import { Either } from "effect"
import { PgError } from "../errors/PgError.js"
import type { SnapshotAction } from "./ReplicationHandler.js"

export type ReplicationCommand =
  | { readonly _tag: "IdentifySystem" }
  | { readonly _tag: "Show"; readonly name: string }
  | { readonly _tag: "TimelineHistory"; readonly timeline: number }
  | {
      readonly _tag: "CreateLogicalSlot"
      readonly name: string
      readonly temporary: boolean
      readonly plugin: string
      readonly snapshot: SnapshotAction
      readonly twoPhase: boolean
      readonly failover: boolean
    }
  | { readonly _tag: "CreatePhysicalSlot"; readonly name: string; readonly temporary: boolean; readonly reserveWal: boolean }
  | { readonly _tag: "DropSlot"; readonly name: string; readonly wait: boolean }
  | { readonly _tag: "ReadSlot"; readonly name: string }
  | {
      readonly _tag: "StartLogical"
      readonly slot: string
      readonly startLsn: bigint
      readonly options: ReadonlyMap<string, string | undefined>
    }
  | { readonly _tag: "StartPhysical"; readonly slot: string | undefined; readonly startLsn: bigint; readonly timeline: number | undefined }
  /** Recognized, never supported here: BASE_BACKUP, ALTER_REPLICATION_SLOT, UPLOAD_MANIFEST. */
  | { readonly _tag: "Unsupported"; readonly command: string }

const COMMANDS = new Set([
  "IDENTIFY_SYSTEM",
  "BASE_BACKUP",
  "START_REPLICATION",
  "CREATE_REPLICATION_SLOT",
  "DROP_REPLICATION_SLOT",
  "ALTER_REPLICATION_SLOT",
  "READ_REPLICATION_SLOT",
  "TIMELINE_HISTORY",
  "SHOW",
  "UPLOAD_MANIFEST"
])

type Token =
  | { readonly kind: "word"; readonly text: string; readonly upper: string }
  | { readonly kind: "ident"; readonly text: string }
  | { readonly kind: "string"; readonly text: string }
  | { readonly kind: "lsn"; readonly text: string; readonly value: bigint }
  | { readonly kind: "number"; readonly text: string }
  | { readonly kind: "punct"; readonly text: string }

class SyntaxFailure {
  constructor(readonly error: PgError) {}
}

const syntaxError = (message: string) => new SyntaxFailure(PgError.make(SqlState.SyntaxError, message))

const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}(?![\w/])/
const WORD = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/
const NUMBER = /^\d+(?![\w.])/

const lex = (sql: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const rest = sql.slice(i)
    let m: RegExpExecArray | null
    if ((m = LSN.exec(rest))) {
      const [hi, lo] = m[0].split("/")
      tokens.push({ kind: "lsn", text: m[0], value: (BigInt(`0x${hi!}`) << 32n) | BigInt(`0x${lo!}`) })
      i += m[0].length
    } else if ((m = NUMBER.exec(rest))) {
      tokens.push({ kind: "number", text: m[0] })
      i += m[0].length
    } else if ((m = WORD.exec(rest))) {
      tokens.push({ kind: "word", text: m[0], upper: m[0].toUpperCase() })
      i += m[0].length
    } else if (c === '"' || c === "'") {
      let text = ""
      let j = i + 1
      for (;;) {
        const end = sql.indexOf(c, j)
        if (end < 0) throw syntaxError(c === '"' ? "unterminated quoted identifier" : "unterminated quoted string")
        text += sql.slice(j, end)
        if (sql[end + 1] === c) {
          text += c
          j = end + 2
          continue
        }
        i = end + 1
        break
      }
      if (c === '"' && text === "") throw syntaxError("zero-length delimited identifier")
      tokens.push({ kind: c === '"' ? "ident" : "string", text })
    } else if ("(),;.".includes(c)) {
      tokens.push({ kind: "punct", text: c })
      i++
    } else {
      throw syntaxError(`syntax error at or near "${c}"`)
    }
  }
  return tokens
}

/** A cursor over the tokens with the grammar's small vocabulary of reads. */
class Cursor {
  private i = 0
  constructor(private readonly tokens: ReadonlyArray<Token>) {}

  peek(): Token | undefined {
    return this.tokens[this.i]
  }

  private fail(): never {
    const t = this.peek()
    throw syntaxError(t === undefined ? "syntax error at end of input" : `syntax error at or near "${t.text}"`)
  }

  keyword(word: string): boolean {
    const t = this.peek()
    if (t?.kind === "word" && t.upper === word) {
      this.i++
      return true
    }
    return false
  }

  expectKeyword(word: string): void {
    if (!this.keyword(word)) this.fail()
  }

  punct(p: string): boolean {
    const t = this.peek()
    if (t?.kind === "punct" && t.text === p) {
      this.i++
      return true
    }
    return false
  }

  expectPunct(p: string): void {
    if (!this.punct(p)) this.fail()
  }

  /** An identifier: unquoted words fold to lower case (as PostgreSQL's scanner does), quoted ones are kept. */
  identifier(): string {
    const t = this.peek()
    if (t?.kind === "word") {
      this.i++
      return t.text.toLowerCase()
    }
    if (t?.kind === "ident") {
      this.i++
      return t.text
    }
    return this.fail()
  }

  string(): string {
    const t = this.peek()
    if (t?.kind !== "string") return this.fail()
    this.i++
    return t.text
  }

  lsn(): bigint {
    const t = this.peek()
    if (t?.kind !== "lsn") return this.fail()
    this.i++
    return t.value
  }

  unsigned(): number {
    const t = this.peek()
    if (t?.kind !== "number") return this.fail()
    this.i++
    const n = Number(t.text)
    if (n > 0xffffffff) throw syntaxError(`value "${t.text}" is out of range`)
    return n
  }

  /** A generic option value: a string, a number or a bare word (`true`, `off`). */
  optionValue(): string | undefined {
    const t = this.peek()
    if (t === undefined || t.kind === "punct" || t.kind === "lsn") return undefined
    this.i++
    return t.kind === "word" ? t.text.toLowerCase() : t.text
  }

  end(): void {
    this.punct(";")
    if (this.peek() !== undefined) this.fail()
  }
}

/** The replication command the query string starts with, or undefined when it is ordinary SQL. */
export const isReplicationCommand = (sql: string): boolean => {
  const m = /^\s*([A-Za-z_]+)/.exec(sql)
  return m !== null && COMMANDS.has(m[1]!.toUpperCase())
}

/**
 * Parses a replication command. Undefined when the query is not one
 * (ordinary SQL); a PgError (42601 and friends) when it is one and is malformed.
 */
export const parseReplicationCommand = (sql: string): Either.Either<ReplicationCommand, PgError> | undefined => {
  if (!isReplicationCommand(sql)) return undefined
  try {
    return Either.right(parseCommand(new Cursor(lex(sql))))
  } catch (e) {
    if (e instanceof SyntaxFailure) return Either.left(e.error)
    throw e
  }
}

const parseCommand = (c: Cursor): ReplicationCommand => {
  let command: ReplicationCommand
  if (c.keyword("IDENTIFY_SYSTEM")) {
    command = { _tag: "IdentifySystem" }
  } else if (c.keyword("SHOW")) {
    let name = c.identifier()
    while (c.punct(".")) name += `.${c.identifier()}`
    command = { _tag: "Show", name }
  } else if (c.keyword("TIMELINE_HISTORY")) {
    const timeline = c.unsigned()
    if (timeline === 0) throw syntaxError(`invalid timeline ${timeline}`)
    command = { _tag: "TimelineHistory", timeline }
  } else if (c.keyword("CREATE_REPLICATION_SLOT")) {
    command = parseCreateSlot(c)
  } else if (c.keyword("DROP_REPLICATION_SLOT")) {
    const name = c.identifier()
    command = { _tag: "DropSlot", name, wait: c.keyword("WAIT") }
  } else if (c.keyword("READ_REPLICATION_SLOT")) {
    command = { _tag: "ReadSlot", name: c.identifier() }
  } else if (c.keyword("START_REPLICATION")) {
    command = parseStart(c)
  } else {
    const t = c.peek()
    return { _tag: "Unsupported", command: t?.kind === "word" ? t.upper : "" }
  }
  c.end()
  return command
}

const parseCreateSlot = (c: Cursor): ReplicationCommand => {
  const name = c.identifier()
  const temporary = c.keyword("TEMPORARY")
  if (c.keyword("PHYSICAL")) {
    let reserveWal = false
    if (c.keyword("RESERVE_WAL")) reserveWal = true
    else if (c.punct("(")) {
      for (const [option, value] of parseGenericOptions(c)) {
        if (option === "reserve_wal") reserveWal = booleanValue(option, value)
        else throw syntaxError(`unrecognized option: ${option}`)
      }
    }
    return { _tag: "CreatePhysicalSlot", name, temporary, reserveWal }
  }
  c.expectKeyword("LOGICAL")
  const plugin = c.identifier()
  let snapshot: SnapshotAction = "export"
  let twoPhase = false
  let failover = false
  if (c.punct("(")) {
    for (const [option, value] of parseGenericOptions(c)) {
      switch (option) {
        case "snapshot":
          if (value !== "export" && value !== "use" && value !== "nothing") {
            throw new SyntaxFailure(
              PgError.make(
                SqlState.InvalidParameterValue,
                `unrecognized value for CREATE_REPLICATION_SLOT option "snapshot": "${value ?? ""}"`
              )
            )
          }
          snapshot = value
          break
        case "two_phase":
          twoPhase = booleanValue(option, value)
          break
        case "failover":
          failover = booleanValue(option, value)
          break
        case "reserve_wal":
          throw new SyntaxFailure(PgError.make(SqlState.SyntaxError, "RESERVE_WAL is only valid for physical replication slots"))
        default:
          throw syntaxError(`unrecognized option: ${option}`)
      }
    }
  } else {
    // The old syntax: keywords one after another.
    for (;;) {
      if (c.keyword("EXPORT_SNAPSHOT")) snapshot = "export"
      else if (c.keyword("NOEXPORT_SNAPSHOT")) snapshot = "nothing"
      else if (c.keyword("USE_SNAPSHOT")) snapshot = "use"
      else if (c.keyword("TWO_PHASE")) twoPhase = true
      else break
    }
  }
  return { _tag: "CreateLogicalSlot", name, temporary, plugin, snapshot, twoPhase, failover }
}

/** `( name [value] [, ...] )` after its opening parenthesis; a repeated option is refused as PostgreSQL does. */
const parseGenericOptions = (c: Cursor): Map<string, string | undefined> => {
  const options = new Map<string, string | undefined>()
  do {
    const name = c.identifier()
    if (options.has(name)) throw syntaxError("conflicting or redundant options")
    options.set(name, c.optionValue())
  } while (c.punct(","))
  c.expectPunct(")")
  return options
}

const booleanValue = (option: string, value: string | undefined): boolean => {
  if (value === undefined || /^(t|true|y|yes|on|1)$/i.test(value)) return true
  if (/^(f|false|n|no|off|0)$/i.test(value)) return false
  throw syntaxError(`${option} requires a Boolean value`)
}

const parseStart = (c: Cursor): ReplicationCommand => {
  let slot: string | undefined
  if (c.keyword("SLOT")) slot = c.identifier()
  if (slot !== undefined && c.keyword("LOGICAL")) {
    const startLsn = c.lsn()
    const options = new Map<string, string | undefined>()
    if (c.punct("(")) {
      do {
        const name = c.identifier()
        if (options.has(name)) throw syntaxError("conflicting or redundant options")
        const t = c.peek()
        options.set(name, t?.kind === "string" ? c.string() : undefined)
      } while (c.punct(","))
      c.expectPunct(")")
    }
    return { _tag: "StartLogical", slot, startLsn, options }
  }
  c.keyword("PHYSICAL")
  const startLsn = c.lsn()
  let timeline: number | undefined
  if (c.keyword("TIMELINE")) timeline = c.unsigned()
  return { _tag: "StartPhysical", slot, startLsn, timeline }
}

/** PostgreSQL's slot name rule: 1 to 63 characters of a-z, 0-9 and _. */
export const checkSlotName = (name: string): PgError | undefined => {
  if (name.length === 0) return PgError.make(SqlState.InvalidName, `replication slot name "${name}" is too short`)
  if (Buffer.byteLength(name) >= 64) return PgError.make(SqlState.NameTooLong, `replication slot name "${name}" is too long`)
  if (!/^[a-z0-9_]+$/.test(name)) {
    return PgError.make(SqlState.InvalidName, `replication slot name "${name}" contains invalid character`, {
      hint: "Replication slot names may only contain lower case letters, numbers, and the underscore character."
    })
  }
  return undefined
}
