/**
 * The documented defaults hold without any limit variable set: 1 MB body cap (413), and with
 * NODE_ENV=production GraphiQL and introspection are off and field suggestions are hidden —
 * even when introspection is switched back on. Refusals cost no upstream call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const TASKS = "query Tasks { tasks(first: 1) { totalCount } }";

describe("default limits", () => {
  it("match design.md", () => {
    expect(loadConfig({}).limits).toEqual({
      maxAliases: 15,
      maxDepth: 10,
      maxTokens: 2000,
      maxDirectives: 50,
      maxCost: 5000,
      maxBodyBytes: 1_048_576,
    });
  });

  describe("over HTTP", () => {
    let h: ServerHarness;
    beforeAll(async () => {
      h = await startServerHarness();
    });
    afterAll(() => h.close());

    it("a body just over 1 MB is refused with 413 before any upstream call; just under is served", async () => {
      h.emulator!.resetStats();
      const over = JSON.stringify({ query: TASKS, variables: { pad: "x".repeat(1_048_576) } });
      const refused = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: over });
      expect(refused.status).toBe(413);
      expect(((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({ code: "REQUEST_ENTITY_TOO_LARGE", limitBytes: 1_048_576 });
      expect(h.emulator!.stats().total).toBe(0);
      const under = JSON.stringify({ query: TASKS, variables: { pad: "x".repeat(1_000_000) } });
      const served = await fetch(h.url, { method: "POST", headers: { "content-type": "application/json" }, body: under });
      expect(served.status).toBe(200);
    });

    it("development defaults: introspection and suggestions on", async () => {
      const schema = await postGraphQL(h.url, "{ __schema { queryType { name } } }");
      expect(schema.body.errors).toBeUndefined();
      const typo = await postGraphQL(h.url, "{ taks { totalCount } }");
      expect(JSON.stringify(typo.body)).toMatch(/did you mean/i);
    });
  });
});

describe("NODE_ENV=production", () => {
  it("GraphiQL and introspection are off and suggestions hidden by default; no upstream call", async () => {
    const h = await startServerHarness({ env: { NODE_ENV: "production", CDN_EMULATOR: "on" } });
    try {
      expect(h.config).toMatchObject({ graphiql: false, introspection: false });
      h.emulator!.resetStats();
      const page = await fetch(h.url, { headers: { accept: "text/html" } });
      expect(await page.text()).not.toMatch(/graphiql/i);
      const schema = await postGraphQL(h.url, "{ __schema { types { name } } }");
      expect(schema.status).toBe(400);
      expect(schema.body.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await postGraphQL(h.url, "{ taks { totalCount } }");
      expect(typo.status).toBe(400);
      expect(JSON.stringify(typo.body)).not.toMatch(/did you mean|tasks/i);
      expect(h.emulator!.stats().total).toBe(0);
    } finally {
      await h.close();
    }
  });

  it("suggestions stay hidden when introspection is switched back on", async () => {
    const h = await startServerHarness({ env: { NODE_ENV: "production", CDN_EMULATOR: "on", INTROSPECTION: "on" } });
    try {
      const typo = await postGraphQL(h.url, "{ taks { totalCount } }");
      expect(JSON.stringify(typo.body)).not.toMatch(/did you mean/i);
      const schema = await postGraphQL(h.url, "{ __schema { queryType { name } } }");
      expect(schema.body.errors).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
