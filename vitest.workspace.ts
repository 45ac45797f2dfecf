// Each package and example is its own Vitest project with its own vitest.config.ts.
export default ["packages/*", "examples/*"]
