/**
 * Flag parsing for a command-line program (the examples' `main.ts`), on
 * `node:util` parseArgs in strict mode: an unknown flag or a missing value
 * prints the message and the usage line to stderr and exits with status 2;
 * `--help` prints the usage line and exits 0.
 */
import { parseArgs, type ParseArgsConfig } from "node:util"

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>

/** The parsed values of `O`, typed as parseArgs types them (defaults make a flag non-optional). */
export type FlagValues<O extends FlagSpec> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"]

export interface CommandLine<O extends FlagSpec> {
  readonly flags: FlagValues<O>
  /** Prints `message` and the usage line to stderr, then exits with status 2. */
  readonly fail: (message: string) => never
  /** A flag's value as a TCP port (an integer from 0 to 65535); anything else fails with `invalid --flag value`. */
  readonly port: (flag: keyof O & string) => number
}

export const parseCommandLine = <const O extends FlagSpec>(
  usage: string,
  options: O,
  args: ReadonlyArray<string> = process.argv.slice(2)
): CommandLine<O> => {
  const fail = (message: string): never => {
    console.error(`${message}\n${usage}`)
    return process.exit(2)
  }
  let values: Record<string, unknown>
  try {
    values = parseArgs({ args: [...args], options: { ...options, help: { type: "boolean", default: false } }, strict: true }).values
  } catch (e) {
    return fail((e as Error).message)
  }
  if (values["help"] === true) {
    console.log(usage)
    process.exit(0)
  }
  const port = (flag: keyof O & string): number => {
    const n = Number(values[flag])
    return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : fail(`invalid --${flag} ${String(values[flag])}`)
  }
  return { flags: values as FlagValues<O>, fail, port }
}
