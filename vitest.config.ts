import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports" map: Node resolves `graphql` to index.js (CJS) for yoga and us,
    // but Vite would pick the "module" field (index.mjs) for our code: two graphql realms, and
    // `instanceof GraphQLError` fails. Pin the same file Node uses.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: keep parallelism modest so loopback servers and Redis are not starved.
    maxWorkers: 2,
  },
});
