// The npm package `gluesql` ships no typings; this is the part of its API we use.
declare module "gluesql" {
  export interface Glue {
    /** Runs one or more statements; resolves with one payload per statement, rejects with a message string. */
    query(sql: string): Promise<ReadonlyArray<Record<string, unknown> & { readonly type: string }>>
    free(): void
  }
  export function gluesql(): Glue
}
