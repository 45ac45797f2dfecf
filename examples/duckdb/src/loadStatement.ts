/**
 * `LOAD '<file.csv>' AS <table>`: this server's one statement of its own. It
 * makes a CSV file a table (DuckDB sniffs the delimiter, header and column
 * types). DuckDB's own `LOAD <extension>` has no `AS`, so it still reaches
 * DuckDB untouched.
 */

export interface LoadStatement {
  readonly path: string
  /** The table name as written (a bare identifier or a double-quoted one). */
  readonly table: string
}

const LOAD = /^\s*LOAD\s+'((?:[^']|'')*)'\s+AS\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*;?\s*$/is

/** The parsed statement, or undefined when `sql` is not this form of LOAD. */
export const parseLoad = (sql: string): LoadStatement | undefined => {
  const m = LOAD.exec(sql)
  return m === null ? undefined : { path: m[1]!.replace(/''/g, "'"), table: m[2]! }
}

const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** The DuckDB statement that performs a LOAD (replacing a table of the same name). */
export const loadSql = (load: LoadStatement): string =>
  `CREATE OR REPLACE TABLE ${load.table} AS SELECT * FROM read_csv(${quoteLiteral(load.path)})`
