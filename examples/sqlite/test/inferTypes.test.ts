import { describe, expect, it } from "vitest"
import { PgType } from "../src/engine/columnTypes.js"
import { expressionType, inferParameterTypes, referencedTables, resultExpressions } from "../src/engine/inferTypes.js"
import { bindValues, translatePlaceholders } from "../src/engine/placeholders.js"

describe("translatePlaceholders", () => {
  it("turns $n into ?k outside quotes, identifiers and comments, and counts parameters", () => {
    expect(translatePlaceholders("SELECT $1, '$2', \"$3\", $2 -- $9\n /* $8 */")).toEqual({
      sql: "SELECT ?1, '$2', \"$3\", ?2 -- $9\n /* $8 */",
      count: 2,
      references: [1, 2]
    })
    expect(translatePlaceholders("SELECT a$1 FROM t")).toEqual({ sql: "SELECT a$1 FROM t", count: 0, references: [] })
    expect(translatePlaceholders("SELECT $$ $1 $$, $tag$ $2 $tag$")).toEqual({ sql: "SELECT $$ $1 $$, $tag$ $2 $tag$", count: 0, references: [] })
  })

  it("numbers the ?k densely when a $n is unused, and maps the client's values onto them", () => {
    const t = translatePlaceholders("SELECT $3, $1, $3")
    expect(t).toEqual({ sql: "SELECT ?2, ?1, ?2", count: 3, references: [1, 3] })
    expect(bindValues(t.references, ["a", "b", "c"])).toEqual(["a", "c"])
    expect(bindValues([1, 2], ["a", "b"])).toEqual(["a", "b"])
  })
})

const schemas = {
  items: [
    { name: "id", declared: "INTEGER" },
    { name: "name", declared: "TEXT" },
    { name: "active", declared: "BOOLEAN" },
    { name: "price", declared: "REAL" },
    { name: "qty", declared: "INT" },
    { name: "raw", declared: "BLOB" },
    { name: "anything", declared: null }
  ]
}

describe("parameter types", () => {
  const infer = (sql: string, client: ReadonlyArray<number> = []) => {
    const t = translatePlaceholders(sql)
    return inferParameterTypes(t.sql, t.count, client, schemas)
  }

  it("reads them off comparisons, assignments, INSERT column lists, IN, BETWEEN, LIKE, LIMIT and CAST", () => {
    expect(infer("SELECT * FROM items WHERE id = $1 AND $2 <> active")).toEqual([PgType.int8, PgType.bool])
    expect(infer("UPDATE items SET price = $1, raw = $2 WHERE items.qty >= $3")).toEqual([PgType.float8, PgType.bytea, PgType.int4])
    expect(infer("INSERT INTO items (name, active) VALUES ($1, $2), ($3, $4)")).toEqual([PgType.text, PgType.bool, PgType.text, PgType.bool])
    expect(infer("INSERT INTO items VALUES ($1, $2, $3)")).toEqual([PgType.int8, PgType.text, PgType.bool])
    expect(infer("SELECT * FROM items WHERE id IN ($1, $2) OR price BETWEEN $3 AND $4 OR name LIKE $5 LIMIT $6 OFFSET $7")).toEqual([
      PgType.int8, PgType.int8, PgType.float8, PgType.float8, PgType.text, PgType.int8, PgType.int8
    ])
    expect(infer("SELECT CAST($1 AS INTEGER), CAST($2 AS DOUBLE PRECISION)")).toEqual([PgType.int8, PgType.float8])
  })

  it("keeps the client's types and falls back to text", () => {
    expect(infer("SELECT * FROM items WHERE id = $1 AND name = $2", [PgType.int4, 0])).toEqual([PgType.int4, PgType.text])
    expect(infer("SELECT $1 || $2, anything = $3")).toEqual([PgType.text, PgType.text, PgType.text])
    // more types from the client than the text uses
    expect(infer("SELECT 1", [PgType.int4, PgType.bool])).toEqual([PgType.int4, PgType.bool])
  })
})

describe("result expression types", () => {
  const types = (sql: string, params: ReadonlyArray<number> = []) =>
    resultExpressions(sql)?.map((e) => expressionType(e, params, schemas))

  it("types literals, parameters, casts, functions and operators; aliases are not part of the expression", () => {
    expect(types("SELECT 1, 1.5, 'x', x'01', NULL, count(*) AS n, ?1 p, CAST(?2 AS TEXT), 1 + 2, 2 * 1.5, 'a' || 'b', 1 = 1", [PgType.bool, PgType.int4])).toEqual([
      PgType.int8, PgType.float8, PgType.text, PgType.bytea, undefined, PgType.int8, PgType.bool, PgType.text, PgType.int8, PgType.float8, PgType.text, PgType.int8
    ])
    expect(types("SELECT max(price), sum(qty), avg(qty), lower(name), coalesce(id, 0), items.name, (id), CASE WHEN id > 1 THEN price ELSE 0 END FROM items")).toEqual([
      PgType.float8, PgType.int8, PgType.float8, PgType.text, PgType.int8, PgType.text, PgType.int8, PgType.float8
    ])
    expect(types("INSERT INTO items (name) VALUES ('x') RETURNING id, length(name)")).toEqual([PgType.int8, PgType.int8])
    expect(types("WITH c AS (SELECT 1 AS a) SELECT DISTINCT a, 'k' FROM c")).toEqual([undefined, PgType.text])
  })

  it("gives up on positions when the list has a star", () => {
    expect(resultExpressions("SELECT *, 1 FROM items")).toBeUndefined()
    expect(resultExpressions("SELECT items.*, 1 FROM items")).toBeUndefined()
    expect(resultExpressions("SELECT 2 * 3 FROM items")).toHaveLength(1)
  })

  it("finds the tables a statement names", () => {
    expect(referencedTables("SELECT * FROM items i, third AS t JOIN other o ON i.id = o.id WHERE x IN (SELECT y FROM fourth)")).toEqual([
      "items", "third", "other", "fourth"
    ])
    expect(referencedTables("INSERT OR REPLACE INTO main.items (id) VALUES (1)")).toEqual(["items"])
    expect(referencedTables('UPDATE "Mixed Case" SET a = 1')).toEqual(["Mixed Case"])
  })
})
