/**
 * The lane side of the small pg_catalog (see pgCatalog.ts): no imports, so a
 * lane process starts without loading the protocol package.
 */

/** One pg_type row as sent to a lane: oid, typname, typlen, typtype, typcategory, typdelim, typelem, typarray. */
export type CatalogType = readonly [number, string, number, string, string, string, number, number]

/** The statements a lane runs to attach the catalog (the rows are bound separately). */
export const CATALOG_DDL: ReadonlyArray<string> = [
  "ATTACH DATABASE ':memory:' AS pg_catalog",
  "CREATE TABLE pg_catalog.pg_namespace (oid OID PRIMARY KEY, nspname NAME NOT NULL)",
  "INSERT INTO pg_catalog.pg_namespace VALUES (11, 'pg_catalog'), (2200, 'public')",
  `CREATE TABLE pg_catalog.pg_type (
    oid OID PRIMARY KEY, typname NAME NOT NULL, typnamespace OID NOT NULL DEFAULT 11, typowner OID NOT NULL DEFAULT 10,
    typlen INT2 NOT NULL, typbyval BOOLEAN NOT NULL DEFAULT 0, typtype TEXT NOT NULL, typcategory TEXT NOT NULL,
    typispreferred BOOLEAN NOT NULL DEFAULT 0, typisdefined BOOLEAN NOT NULL DEFAULT 1, typdelim TEXT NOT NULL,
    typrelid OID NOT NULL DEFAULT 0, typelem OID NOT NULL, typarray OID NOT NULL, typbasetype OID NOT NULL DEFAULT 0,
    typtypmod INT4 NOT NULL DEFAULT -1, typndims INT4 NOT NULL DEFAULT 0, typnotnull BOOLEAN NOT NULL DEFAULT 0)`
]

export const CATALOG_INSERT =
  "INSERT INTO pg_catalog.pg_type (oid, typname, typlen, typtype, typcategory, typdelim, typelem, typarray, typbyval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
