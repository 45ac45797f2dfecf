/**
 * `$n` placeholders in SQL text, found outside string literals, quoted
 * identifiers, dollar-quoted strings and comments.
 *
 * Why: DuckDB cannot name or type a result column that depends on a
 * parameter before the parameter is bound (`range % $1` → "unknown"), but
 * Describe must tell the client the columns after Parse. Preparing the same
 * statement with each `$n` replaced by a typed value gives DuckDB what it
 * needs to describe it without running it (see `DuckDbPrepared.ts`).
 */

/** `sql` with every `$n` placeholder replaced by `replace(n)`; everything else byte for byte. */
export const replaceParameters = (sql: string, replace: (index: number) => string): string => {
  let out = ""
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    let end = i + 1
    if (c === "'" || c === '"') {
      end = sql.indexOf(c, i + 1)
      // '' and "" inside a quoted run are just two quotes in a row: the loop picks the next run up.
      end = end < 0 ? n : end + 1
    } else if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i)
      end = nl < 0 ? n : nl + 1
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2)
      end = close < 0 ? n : close + 2
    } else if (c === "$") {
      const param = /^\$(\d+)/.exec(sql.slice(i))
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))
      if (param !== null && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? "")) {
        out += replace(Number(param[1]))
        i += param[0].length
        continue
      }
      if (tag !== null) {
        const close = sql.indexOf(tag[0], i + tag[0].length)
        end = close < 0 ? n : close + tag[0].length
      }
    }
    out += sql.slice(i, end)
    i = end
  }
  return out
}
