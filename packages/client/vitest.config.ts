import { defineProject } from "vitest/config"

// Generous limits: many tests talk to real servers and processes, and CI runs every project's
// files in parallel on 2 cores. A limit is a hang detector here, never a speed assertion.
export default defineProject({
  test: { name: "client", include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 }
})
