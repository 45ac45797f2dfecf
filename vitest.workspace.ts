// Each package and example is its own Vitest project with its own vitest.config.ts.
// Config files, not folders: a file in examples/ (its README.md) would be taken for a project config.
export default ["packages/*", "examples/*/vitest.config.ts"]
