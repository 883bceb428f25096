import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep parallelism modest so loopback servers and Redis are not starved.
    maxWorkers: 2,
  },
});
