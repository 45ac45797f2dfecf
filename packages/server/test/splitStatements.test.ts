import { describe, expect, it } from "vitest"
import { splitStatements } from "../src/sql/splitStatements.js"

describe("splitStatements", () => {
  it("splits on semicolons and trims", () => {
    expect(splitStatements("select 1; select 2 ;select 3")).toEqual(["select 1", "select 2", "select 3"])
  })
  it("drops empty and comment-only statements", () => {
    expect(splitStatements("")).toEqual([])
    expect(splitStatements("  ;; \n ;")).toEqual([])
    expect(splitStatements("-- nothing\n; /* nor this */")).toEqual([])
    expect(splitStatements("select 1; -- trailing")).toEqual(["select 1"])
  })
  it("keeps semicolons inside literals, identifiers and comments", () => {
    expect(splitStatements("select ';', \"a;b\" from t; select 2")).toEqual(["select ';', \"a;b\" from t", "select 2"])
    expect(splitStatements("select 'it''s; fine'; x")).toEqual(["select 'it''s; fine'", "x"])
    expect(splitStatements("select E'\\'; still'; y")).toEqual(["select E'\\'; still'", "y"])
    expect(splitStatements("select 1 -- a;b\n; y")).toEqual(["select 1 -- a;b", "y"])
    expect(splitStatements("select /* a; /* nested; */ b; */ 1; y")).toEqual(["select /* a; /* nested; */ b; */ 1", "y"])
  })
  it("handles dollar quoting but not parameters", () => {
    expect(splitStatements("create function f() as $$ a; b $$; y")).toEqual(["create function f() as $$ a; b $$", "y"])
    expect(splitStatements("select $tag$ ; $x$ ; $tag$; y")).toEqual(["select $tag$ ; $x$ ; $tag$", "y"])
    expect(splitStatements("select $1; select $2")).toEqual(["select $1", "select $2"])
    expect(splitStatements("select a$b; y")).toEqual(["select a$b", "y"])
  })
  it("a backslash in a standard string is not an escape", () => {
    expect(splitStatements("select 'a\\'; y")).toEqual(["select 'a\\'", "y"])
  })
  it("an unterminated literal runs to the end", () => {
    expect(splitStatements("select 'abc; def")).toEqual(["select 'abc; def"])
  })
})
