/**
 * Trusted documents (`TRUSTED_DOCUMENTS`): manifests in the formats frontend tools emit, the
 * config checks, and the running gateway executing only manifest documents by id — arbitrary
 * operations refused with PERSISTED_QUERY_ONLY before any upstream call.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { configError } from "../helpers/config-error.js";
import { ManifestError, parseTrustedDocuments } from "../../src/http/trusted-documents-manifest.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse } from "../helpers/sse-client.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

const TASKS = "query DashboardTasks($first: Int!) { tasks(first: $first) { totalCount edges { node { taskId status } } } }";
const WATCH = "subscription WatchTask($taskId: String!) { exportTaskUpdated(kind: USAGE_DETAIL, taskId: $taskId) { taskId status } }";
const ARBITRARY = "{ tasks(first: 1) { totalCount } }";

const dir = mkdtempSync(join(tmpdir(), "trusted-documents-"));
function manifestFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}
// GraphQL Codegen client preset (persisted-documents.json) / Relay: { "<hash>": "<document>" }.
const CODEGEN = manifestFile("persisted-documents.json", { [sha256(TASKS)]: TASKS, [sha256(WATCH)]: WATCH });
const APOLLO = manifestFile("persisted-query-manifest.json", {
  format: "apollo-persisted-query-manifest",
  version: 1,
  operations: [{ id: sha256(TASKS), name: "DashboardTasks", type: "query", body: TASKS }],
});

describe("manifest formats", () => {
  it("reads the flat id → document map (GraphQL Codegen, Relay)", () => {
    const parsed = parseTrustedDocuments({ abc: TASKS, def: WATCH });
    expect(parsed.format).toBe("map");
    expect([...parsed.documents]).toEqual([
      ["abc", TASKS],
      ["def", WATCH],
    ]);
  });

  it("reads Apollo's persisted query manifest", () => {
    const parsed = parseTrustedDocuments({ format: "apollo-persisted-query-manifest", version: 1, operations: [{ id: "x1", body: TASKS, name: "DashboardTasks", type: "query" }] });
    expect(parsed.format).toBe("apollo");
    expect(parsed.documents.get("x1")).toBe(TASKS);
  });

  it.each([
    [[], /not a manifest/],
    [{}, /no documents/],
    [{ a: 42 }, /not a manifest/],
    [{ format: "apollo-persisted-query-manifest", version: 2, operations: [] }, /not a manifest/],
    [{ a: "query {" }, /not valid GraphQL \(id a\)/],
  ])("refuses %j", (json, message) => {
    expect(() => parseTrustedDocuments(json)).toThrow(ManifestError);
    expect(() => parseTrustedDocuments(json)).toThrow(message);
  });
});

describe("TRUSTED_DOCUMENTS configuration", () => {
  it("is off by default: any operation, GraphiQL on outside production", () => {
    const config = loadConfig({});
    expect(config.trustedDocuments).toBeNull();
    expect(config.graphiql).toBe(true);
  });

  it("loads the manifest and turns GraphiQL off unless GRAPHIQL is set", () => {
    const config = loadConfig({ TRUSTED_DOCUMENTS: CODEGEN });
    expect(config.trustedDocuments?.documents.size).toBe(2);
    expect(config.graphiql).toBe(false);
    expect(loadConfig({ TRUSTED_DOCUMENTS: APOLLO, GRAPHIQL: "on" }).graphiql).toBe(true);
  });

  it.each([
    ["a missing file", join(dir, "missing.json"), /cannot be read \(ENOENT\)/],
    ["a file that is not JSON", manifestFile("broken.json", "{ not json"), /is not JSON/],
    ["a file that is no manifest", manifestFile("other.json", { operations: [{ id: 1 }] }), /not a manifest/],
  ])("stops start-up naming the variable for %s", (_what, path, message) => {
    const error = configError({ TRUSTED_DOCUMENTS: path });
    expect(error.variable).toBe("TRUSTED_DOCUMENTS");
    expect(error.message).toMatch(/^Invalid configuration: TRUSTED_DOCUMENTS /);
    expect(error.message).toMatch(message);
  });
});

describe("a gateway in trusted-documents mode", () => {
  let h: ServerHarness;
  const calls = (): number => h.emulator!.stats().total;

  beforeAll(async () => {
    h = await startServerHarness({ env: { TRUSTED_DOCUMENTS: CODEGEN } });
  });
  afterAll(() => h.close());
  beforeEach(() => h.emulator!.resetStats());

  const post = (body: Record<string, unknown>) =>
    fetch(h.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json" }, body: JSON.stringify(body) }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }),
    );

  it("runs a manifest document by documentId", async () => {
    const res = await post({ documentId: sha256(TASKS), variables: { first: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect((res.body.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(2);
  });

  it("accepts `sha256:<hash>` ids and Apollo's persistedQuery extension", async () => {
    const prefixed = await post({ documentId: `sha256:${sha256(TASKS)}`, variables: { first: 1 } });
    expect(prefixed.body.errors).toBeUndefined();
    const apollo = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(TASKS) } }, variables: { first: 1 } });
    expect(apollo.body.errors).toBeUndefined();
  });

  it("runs a document by GET ?documentId= (with a CSRF header)", async () => {
    const url = `${h.url}?documentId=${sha256(TASKS)}&variables=${encodeURIComponent(JSON.stringify({ first: 1 }))}`;
    const res = await fetch(url, { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } });
    const body = (await res.json()) as { errors?: unknown };
    expect(res.status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it.each([
    ["an arbitrary query", { query: ARBITRARY }, "arbitrary-operation"],
    ["a manifest document's text sent as a query", { query: TASKS, variables: { first: 1 } }, "arbitrary-operation"],
    ["a query together with a known id", { query: ARBITRARY, documentId: sha256(TASKS) }, "arbitrary-operation"],
    ["an unknown id", { documentId: sha256(ARBITRARY) }, "unknown-document"],
    ["no query and no id", { variables: {} }, "missing-document-id"],
  ])("refuses %s with PERSISTED_QUERY_ONLY and no upstream call", async (_what, body, reason) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.extensions)).toEqual([{ code: "PERSISTED_QUERY_ONLY", reason }]);
    expect(res.body.errors?.[0]?.message).toMatch(/only runs trusted documents/);
    expect(calls()).toBe(0);
  });

  it("runs a subscription document by id over SSE", async () => {
    const stream = await subscribeSse<{ exportTaskUpdated: { status: string } }>(h.url, { documentId: sha256(WATCH), variables: { taskId: "99999999999" } });
    const events = await stream.rest();
    expect(events[0]?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("serves no GraphiQL page by default", async () => {
    const res = await fetch(h.url, { headers: { accept: "text/html" } });
    expect(await res.text()).not.toContain("YogaGraphiQL");
  });

  it("GRAPHIQL=on serves the page, but what it sends is still refused", async () => {
    const withPage = await startServerHarness({ env: { TRUSTED_DOCUMENTS: APOLLO, GRAPHIQL: "on" } });
    try {
      const page = await fetch(withPage.url, { headers: { accept: "text/html" } });
      expect(await page.text()).toContain("YogaGraphiQL");
      const typed = await postGraphQL(withPage.url, ARBITRARY);
      expect(typed.body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_ONLY");
    } finally {
      await withPage.close();
    }
  });
});
