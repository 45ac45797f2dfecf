/**
 * A small `pg_catalog` for drivers that look types up: `pg_type` (every
 * built-in type, from the protocol package's pg_type.dat table) and
 * `pg_namespace`. Each lane ATTACHes it as an in-memory database named
 * pg_catalog, so SQLite answers `pg_catalog.pg_type` (and plain `pg_type`)
 * queries itself, joins and all.
 */
import { pgTypes } from "@pgwire-ts/protocol"
import type { CatalogType } from "./pgCatalogDdl.js"

let rows: ReadonlyArray<CatalogType> | undefined

/** The rows of pg_type (built once per process). */
export const catalogTypes = (): ReadonlyArray<CatalogType> =>
  (rows ??= pgTypes.map((t) => [t.oid, t.name, t.typlen, t.typtype, t.category, t.delimiter, t.elemOid, t.arrayOid] as const))
