import { optionsError } from "./CopyErrors.js"

/** COPY's FORMAT option. (Not `CopyFormat`: that is the 0/1 format code of the CopyInResponse messages.) */
export type CopyFormatName = "text" | "csv" | "binary"

/** Columns named by FORCE_QUOTE / FORCE_NOT_NULL / FORCE_NULL, or `*` for all of them. */
export type CopyColumnSelection = ReadonlyArray<string> | "*"

/** Which way the data flows: `from` = COPY FROM (client to server), `to` = COPY TO (server to client). */
export type CopyDirection = "from" | "to"

/**
 * COPY's options, as in `COPY ... WITH (FORMAT csv, HEADER true, DELIMITER ';')`.
 * Defaults: text format has delimiter tab and NULL `\N`; CSV has delimiter `,`,
 * NULL the empty unquoted string, QUOTE `"` and ESCAPE = QUOTE.
 */
export interface CopyOptions {
  readonly format: CopyFormatName
  /** One single-byte (ASCII) character. */
  readonly delimiter?: string
  /** The string that stands for NULL. */
  readonly null?: string
  /** Write a header line on output; on input skip the first line (`true`) or check it names the columns (`"match"`). */
  readonly header?: boolean | "match"
  /** CSV only: one single-byte character. */
  readonly quote?: string
  /** CSV only: one single-byte character; defaults to QUOTE. */
  readonly escape?: string
  /** CSV output: quote every non-NULL value of these columns. */
  readonly forceQuote?: CopyColumnSelection
  /** CSV input: these columns never read as NULL (an unquoted NULL string is that string). */
  readonly forceNotNull?: CopyColumnSelection
  /** CSV input: in these columns a quoted NULL string is NULL too. */
  readonly forceNull?: CopyColumnSelection
  /** COPY FROM's FREEZE: kept for the handler; no effect on the data format. */
  readonly freeze?: boolean
  /** Only UTF-8 is supported (the protocol package reads and writes UTF-8). */
  readonly encoding?: string
}

/** Options with every default filled in and checked as PostgreSQL checks them. */
export interface ResolvedCopyOptions {
  readonly format: CopyFormatName
  readonly delimiter: string
  readonly null: string
  readonly header: boolean | "match"
  readonly quote: string
  readonly escape: string
  readonly forceQuote: CopyColumnSelection
  readonly forceNotNull: CopyColumnSelection
  readonly forceNull: CopyColumnSelection
  readonly freeze: boolean
  readonly encoding: string | undefined
}

const SYNTAX = "42601"
const INVALID_PARAMETER = "22023"
const NOT_SUPPORTED = "0A000"

const isSingleByte = (s: string): boolean => s.length === 1 && s.charCodeAt(0) < 0x80
const hasLineBreak = (s: string): boolean => s.includes("\r") || s.includes("\n")
const isSet = (v: unknown): boolean => v !== undefined

// Characters that a text-format delimiter may not be: they are part of the escape syntax.
const TEXT_FORBIDDEN_DELIMITERS = "\\.abcdefghijklmnopqrstuvwxyz0123456789"

/** PostgreSQL's names for UTF-8 after removing non-alphanumerics and lowercasing. */
const UTF8_NAMES = new Set(["utf8", "unicode"])

/**
 * Fills in the defaults and applies PostgreSQL's option checks (same rules,
 * messages and SQLSTATEs). With a `direction`, also the direction-specific ones
 * (FORCE_QUOTE only with COPY TO, FORCE_NOT_NULL/FORCE_NULL and HEADER MATCH
 * only with COPY FROM); without one, those options are accepted and the
 * parsers/encoders ignore the ones that do not apply to them, so a client can
 * parse COPY TO output with the options it sent.
 * Throws `CopyOptionsError`.
 */
export const resolveCopyOptions = (options: CopyOptions, direction?: CopyDirection): ResolvedCopyOptions => {
  const format = options.format
  if (format !== "text" && format !== "csv" && format !== "binary") {
    throw optionsError(`COPY format "${String(format)}" not recognized`, INVALID_PARAMETER)
  }
  const csv = format === "csv"
  if (format === "binary") {
    if (isSet(options.delimiter)) throw optionsError("cannot specify DELIMITER in BINARY mode", SYNTAX)
    if (isSet(options.null)) throw optionsError("cannot specify NULL in BINARY mode", SYNTAX)
    if (options.header !== undefined && options.header !== false) {
      throw optionsError("cannot specify HEADER in BINARY mode", NOT_SUPPORTED)
    }
  }
  const delimiter = options.delimiter ?? (csv ? "," : "\t")
  const nullString = options.null ?? (csv ? "" : "\\N")
  const header = options.header ?? false
  if (header !== true && header !== false && header !== "match") {
    throw optionsError(`header requires a Boolean value or "match"`, SYNTAX)
  }

  if (!isSingleByte(delimiter)) throw optionsError("COPY delimiter must be a single one-byte character", NOT_SUPPORTED)
  if (delimiter === "\r" || delimiter === "\n") {
    throw optionsError("COPY delimiter cannot be newline or carriage return", INVALID_PARAMETER)
  }
  if (hasLineBreak(nullString)) {
    throw optionsError("COPY null representation cannot use newline or carriage return", INVALID_PARAMETER)
  }
  if (!csv && TEXT_FORBIDDEN_DELIMITERS.includes(delimiter)) {
    throw optionsError(`COPY delimiter cannot be "${delimiter}"`, INVALID_PARAMETER)
  }
  if (header === "match" && direction === "to") {
    throw optionsError(`cannot use "match" with HEADER in COPY TO`, NOT_SUPPORTED)
  }

  if (!csv && isSet(options.quote)) throw optionsError("COPY quote available only in CSV mode", NOT_SUPPORTED)
  const quote = options.quote ?? '"'
  if (csv && !isSingleByte(quote)) throw optionsError("COPY quote must be a single one-byte character", NOT_SUPPORTED)
  if (csv && delimiter === quote) throw optionsError("COPY delimiter and quote must be different", INVALID_PARAMETER)

  if (!csv && isSet(options.escape)) throw optionsError("COPY escape available only in CSV mode", NOT_SUPPORTED)
  const escape = options.escape ?? quote
  if (csv && !isSingleByte(escape)) throw optionsError("COPY escape must be a single one-byte character", NOT_SUPPORTED)

  if (!csv && isSet(options.forceQuote)) throw optionsError("COPY force quote available only in CSV mode", NOT_SUPPORTED)
  if (isSet(options.forceQuote) && direction === "from") {
    throw optionsError("COPY force quote only available using COPY TO", NOT_SUPPORTED)
  }
  if (!csv && isSet(options.forceNotNull)) throw optionsError("COPY force not null available only in CSV mode", NOT_SUPPORTED)
  if (isSet(options.forceNotNull) && direction === "to") {
    throw optionsError("COPY force not null only available using COPY FROM", NOT_SUPPORTED)
  }
  if (!csv && isSet(options.forceNull)) throw optionsError("COPY force null available only in CSV mode", NOT_SUPPORTED)
  if (isSet(options.forceNull) && direction === "to") {
    throw optionsError("COPY force null only available using COPY FROM", NOT_SUPPORTED)
  }

  if (format !== "binary" && nullString.includes(delimiter)) {
    throw optionsError("COPY delimiter must not appear in the NULL specification", NOT_SUPPORTED)
  }
  if (csv && nullString.includes(quote)) {
    throw optionsError("CSV quote character must not appear in the NULL specification", NOT_SUPPORTED)
  }

  const encoding = options.encoding
  if (encoding !== undefined && !UTF8_NAMES.has(encoding.toLowerCase().replace(/[^a-z0-9]/g, ""))) {
    throw optionsError(`COPY ENCODING "${encoding}" is not supported: only UTF8`, NOT_SUPPORTED)
  }

  return {
    format,
    delimiter,
    null: nullString,
    header,
    quote,
    escape,
    forceQuote: options.forceQuote ?? [],
    forceNotNull: options.forceNotNull ?? [],
    forceNull: options.forceNull ?? [],
    freeze: options.freeze ?? false,
    encoding
  }
}

/**
 * Per-column flags for a FORCE_* selection. Named columns must be among
 * `columnNames` (PostgreSQL: 42P10 "... column "x" not referenced by COPY").
 */
export const selectColumns = (
  selection: CopyColumnSelection,
  optionName: string,
  columnNames: ReadonlyArray<string> | undefined,
  columnCount: number | undefined
): ((index: number) => boolean) => {
  if (selection === "*") return () => true
  if (selection.length === 0) return () => false
  if (columnNames === undefined) {
    throw optionsError(`${optionName} needs the column names of the COPY to find columns ${selection.join(", ")}`, "42P10")
  }
  const flags = new Array<boolean>(columnCount ?? columnNames.length).fill(false)
  for (const name of selection) {
    const i = columnNames.indexOf(name)
    if (i < 0) throw optionsError(`${optionName} column "${name}" not referenced by COPY`, "42P10")
    flags[i] = true
  }
  return (index) => flags[index] === true
}

/**
 * What a parser or encoder knows about the columns of the COPY.
 * - `names`: the column names, for writing HEADER, for HEADER MATCH and for FORCE_* options by name;
 * - `count`: the number of fields every row must have (default: `names.length`
 *   when names are given; otherwise any count is accepted);
 * - `oids`: type OIDs per column, for converting between JS values and fields
 *   (`CopyEncoder.writeValues`, `decodeCopyValues`).
 */
export interface CopyColumns {
  readonly names?: ReadonlyArray<string>
  readonly count?: number
  readonly oids?: ReadonlyArray<number>
}

/** The field count rows must have, or undefined when any count is accepted. */
export const expectedColumnCount = (columns: CopyColumns | undefined): number | undefined =>
  columns?.count ?? columns?.names?.length ?? columns?.oids?.length
