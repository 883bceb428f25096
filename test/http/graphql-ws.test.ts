/**
 * graphql-ws on /graphql beside SSE, driven by the `graphql-ws` client (over `ws`) against the
 * running gateway (startApp wiring, embedded emulator): connectionParams authentication with the
 * same API keys as HTTP, the same scopes, a real task's updates from the shared task watch, the
 * same operation limits and trusted-documents rules, one access line per subscription written
 * when it ends, browser origins as the CORS policy says, connections closed on shutdown.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FormattedExecutionResult } from "graphql";
import { createClient, type Client, type SubscribePayload } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIdentityProvider, TEST_AUDIENCE, TEST_ISSUER, type TestIdentityProvider } from "../helpers/jwks-server.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse } from "../helpers/sse-client.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

const READER = "ws-reader-key-0123456789abcdef";
const CREATOR = "ws-creator-key-0123456789abcdef";
const KEYS = JSON.stringify([
  { name: "reader", key: READER, scopes: ["export:read"] },
  { name: "creator", key: CREATOR, scopes: ["export:create"] },
]);
const WATCH = "subscription Watch($taskId: String!) { exportTaskUpdated(kind: USAGE_DETAIL, taskId: $taskId) { taskId status } }";

type Event = FormattedExecutionResult<Record<string, unknown>, unknown>;
interface Outcome {
  events: Event[];
  /** Set when the operation failed: its GraphQL errors, or the close event that ended the connection. */
  error: unknown;
}

const wsUrl = (h: ServerHarness): string => h.url.replace(/^http/, "ws");

function client(h: ServerHarness, authorization?: string): Client {
  return createClient({
    url: wsUrl(h),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...(authorization === undefined ? {} : { connectionParams: { Authorization: authorization } }),
  });
}

/** Runs one operation to its end: every `next` payload, and the error if it failed. */
function run(c: Client, payload: SubscribePayload, onEvent?: (event: Event) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const events: Event[] = [];
    c.subscribe(payload, {
      next: (event) => {
        events.push(event);
        onEvent?.(event);
      },
      error: (error) => resolve({ events, error }),
      complete: () => resolve({ events, error: undefined }),
    });
  });
}

const codesOf = (error: unknown): unknown[] => (Array.isArray(error) ? error.map((e: { extensions?: { code?: unknown } }) => e.extensions?.code) : []);

async function createTask(h: ServerHarness, headers: Record<string, string> = {}): Promise<string> {
  const now = Date.now();
  const res = await postGraphQL(h.url, "mutation($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }", {
    variables: { i: { type: "FLOW", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) } },
    headers,
  });
  expect(res.body.errors).toBeUndefined();
  return (res.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
}

describe("graphql-ws with authentication, scopes and the shared task watch", () => {
  let h: ServerHarness;
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await startIdentityProvider();
    h = await startServerHarness({
      env: {
        LOG_LEVEL: "info",
        GATEWAY_API_KEYS: KEYS,
        GATEWAY_JWKS_URL: idp.jwksUrl,
        GATEWAY_JWT_ISSUER: TEST_ISSUER,
        GATEWAY_JWT_AUDIENCE: TEST_AUDIENCE,
        EMULATOR_TASK_SECONDS: "2",
        CORS_ORIGINS: "https://app.example.com",
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await idp.close();
  });

  it("refuses a connection without credentials, or with a key the gateway does not know (close 4403)", async () => {
    for (const authorization of [undefined, "Bearer not-a-key", "Basic abc"]) {
      const c = client(h, authorization);
      const { events, error } = await run(c, { query: "{ __typename }" });
      expect(events).toEqual([]);
      expect((error as { code?: number }).code).toBe(4403);
      expect((error as { reason?: string }).reason).toMatch(/Authentication required|Invalid or expired credentials/);
      await c.dispose();
    }
    expect(h.logs.records().filter((r) => r["msg"] === "authentication refused" && r["transport"] === "graphql-ws").map((r) => r["reason"])).toEqual(
      expect.arrayContaining(["missing", "invalid", "malformed"]),
    );
  });

  it("takes a JWT as HTTP does: a valid one runs, an expired or forged one is refused", async () => {
    const valid = client(h, `Bearer ${await idp.token({ scope: "export:read" })}`);
    const ok = await run(valid, { query: "{ tasks(first: 1) { totalCount } }" });
    expect(ok.error).toBeUndefined();
    expect(ok.events[0]?.data?.["tasks"]).toMatchObject({ totalCount: expect.any(Number) as number });
    await valid.dispose();
    for (const options of [{ expired: true }, { forged: true }]) {
      const refused = client(h, `Bearer ${await idp.token({ scope: "export:read", ...options })}`);
      const { error } = await run(refused, { query: "{ __typename }" });
      expect((error as { code?: number }).code).toBe(4403);
      await refused.dispose();
    }
  });

  it("checks the JWT again for each operation: once it expires, new operations on the open connection are refused", async () => {
    // The gateway allows 30 s of clock skew: a token that expired 28 s ago is valid for 2 s more.
    const token = await idp.token({ scope: "export:read", expiresAtSec: Math.floor(Date.now() / 1000) - 28 });
    let connections = 0;
    const c = createClient({
      url: wsUrl(h),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      lazyCloseTimeout: 60_000,
      connectionParams: { Authorization: `Bearer ${token}` },
      on: { connected: () => (connections += 1) },
    });
    const before = await run(c, { query: "{ tasks(first: 1) { totalCount } }" });
    expect(before.error).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const after = await run(c, { query: "{ tasks(first: 1) { totalCount } }" });
    expect(after.events).toEqual([]);
    expect(codesOf(after.error)).toEqual(["UNAUTHENTICATED"]);
    expect(connections).toBe(1); // the same connection: refused per operation, not at connect
    await c.dispose();
  });

  it("a caller without export:read is refused by the schema, as over HTTP (FORBIDDEN)", async () => {
    const taskId = await createTask(h, { authorization: `Bearer ${CREATOR}` });
    const c = client(h, `Bearer ${CREATOR}`);
    const { events, error } = await run(c, { query: WATCH, variables: { taskId } });
    const codes = [...events.flatMap((e) => (e.errors ?? []).map((x) => x.extensions?.["code"])), ...codesOf(error)];
    expect(codes).toContain("FORBIDDEN");
    expect(events.some((e) => e.data != null && e.data["exportTaskUpdated"] != null)).toBe(false);
    await c.dispose();
    // Logged as the subscription it was, with its code.
    await expect
      .poll(() => h.logs.records().some((r) => r["msg"] === "graphql operation" && r["status"] === 101 && r["operationType"] === "subscription" && String(r["errorCodes"]) === "FORBIDDEN"))
      .toBe(true);
  });

  it("delivers a real task's updates from the same shared watch SSE clients use, then completes", async () => {
    const taskId = await createTask(h, { authorization: `Bearer ${CREATOR}` });
    const sse = await subscribeSse(h.url, { query: WATCH, variables: { taskId } }, { authorization: `Bearer ${READER}` });
    const first = await sse.next();
    expect(first?.data).toEqual({ exportTaskUpdated: { taskId, status: "CREATED" } });

    const c = client(h, `Bearer ${READER}`);
    let joined: () => void = () => undefined;
    const sawFirst = new Promise<void>((resolve) => (joined = resolve));
    const outcome = run(c, { query: WATCH, variables: { taskId }, operationName: "Watch" }, () => joined());
    await sawFirst;
    // One poll for the task, two subscribers: the WebSocket client joined the SSE client's watch.
    expect(h.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, subscribers: 2, pollers: 1 });

    const { events, error } = await outcome;
    expect(error).toBeUndefined();
    expect(events.map((e) => (e.data?.["exportTaskUpdated"] as { status: string }).status)).toEqual(["CREATED", "SUCCESS"]);
    await sse.rest();
    await c.dispose();

    // One access line for the subscription, written when it ended.
    const lines = () => h.logs.records().filter((r) => r["msg"] === "graphql operation" && r["operationName"] === "Watch" && r["status"] === 101 && String(r["errorCodes"]) === "");
    await expect.poll(() => lines().length).toBe(1);
    const line = lines()[0];
    expect(line).toMatchObject({ method: "GET", path: "/graphql", operationType: "subscription", errorCodes: [] });
    expect(line?.["durationMs"]).toBeGreaterThan(500);
    expect(line?.["upstreamCalls"]).toBeGreaterThanOrEqual(0);
  });

  it("runs queries too, with the caller's scopes", async () => {
    const c = client(h, `Bearer ${READER}`);
    const { events, error } = await run(c, { query: "{ tasks(first: 2) { totalCount } }" });
    expect(error).toBeUndefined();
    expect((events[0]?.data?.["tasks"] as { totalCount: number }).totalCount).toBeGreaterThan(0);
    await c.dispose();
  });

  it("a browser page from an origin the CORS policy does not admit cannot connect", async () => {
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(wsUrl(h), "graphql-transport-ws", { origin: "https://evil.example" });
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("open", () => resolve(101));
      socket.on("error", () => undefined);
    });
    expect(refused).toBe(403);
    for (const origin of ["https://app.example.com", new URL(h.url).origin]) {
      const admitted = await new Promise<number>((resolve) => {
        const socket = new WebSocket(wsUrl(h), "graphql-transport-ws", { origin });
        socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        socket.on("open", () => {
          socket.close();
          resolve(101);
        });
      });
      expect(admitted, origin).toBe(101);
    }
  });

});

describe("graphql-ws applies the operation limits", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness({ env: { LOG_LEVEL: "info", MAX_DEPTH: "3", MAX_ALIASES: "2", MAX_TOKENS: "60", MAX_COST: "50" } });
  });
  afterAll(() => h.close());

  it.each([
    ["depth", "{ tasks(first: 1) { edges { node { taskId } } } }", "GRAPHQL_VALIDATION_FAILED", /depth/i],
    ["aliases", "{ a: __typename b: __typename c: __typename }", "GRAPHQL_VALIDATION_FAILED", /alias/i],
    ["cost", "{ tasks(first: 100) { totalCount } }", "GRAPHQL_VALIDATION_FAILED", /cost/i],
    ["tokens", `{ ${"__typename ".repeat(80)}}`, "GRAPHQL_PARSE_FAILED", /token/i],
    ["schema", "subscription { nope }", "GRAPHQL_VALIDATION_FAILED", /nope/],
  ])("refuses a %s breach before anything runs", async (_name, query, code, message) => {
    const calls = h.emulator!.stats().total;
    const c = client(h);
    const { events, error } = await run(c, { query });
    expect(events).toEqual([]);
    expect(codesOf(error)).toEqual([code]);
    expect((error as Array<{ message: string }>)[0]?.message).toMatch(message);
    expect(h.emulator!.stats().total).toBe(calls);
    await c.dispose();
    await expect.poll(() => h.logs.records().some((r) => r["msg"] === "graphql operation" && r["status"] === 101 && (r["errorCodes"] as string[]).includes(code))).toBe(true);
  });

  it("refuses a message over MAX_BODY_BYTES (close 1009)", async () => {
    const c = client(h);
    const { error } = await run(c, { query: `{ __typename }${" ".repeat(h.config.limits.maxBodyBytes)}` });
    expect((error as { code?: number }).code).toBe(1009);
    await c.dispose();
    // Told to the gateway's log (not stderr).
    await expect.poll(() => h.logs.records().some((r) => r["msg"] === "WebSocket connection failed")).toBe(true);
  });
});

describe("graphql-ws in trusted-documents mode", () => {
  let h: ServerHarness;
  const IDS = "query Ids { tasks(first: 20) { edges { node { taskId status } } } }";
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "ws-trusted-"));
    const manifest = join(dir, "manifest.json");
    writeFileSync(manifest, JSON.stringify({ [sha256(WATCH)]: WATCH, [sha256(IDS)]: IDS }));
    h = await startServerHarness({ env: { LOG_LEVEL: "info", TRUSTED_DOCUMENTS: manifest } });
  });
  afterAll(() => h.close());

  it("runs a manifest document sent by id; refuses a query text or an unknown id", async () => {
    const c = client(h);
    const ids = await run(c, { query: "", documentId: sha256(IDS) } as SubscribePayload);
    const edges = (ids.events[0]?.data?.["tasks"] as { edges: Array<{ node: { taskId: string; status: string } }> }).edges;
    const taskId = edges.find((edge) => edge.node.status === "SUCCESS")?.node.taskId;
    expect(taskId).toMatch(/^\d+$/);

    const byText = await run(c, { query: WATCH, variables: { taskId } });
    expect(codesOf(byText.error)).toEqual(["PERSISTED_QUERY_ONLY"]);
    const unknown = await run(c, { query: "", extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ __typename }") } } });
    expect(codesOf(unknown.error)).toEqual(["PERSISTED_QUERY_ONLY"]);
    const noId = await run(c, { query: "" });
    expect(codesOf(noId.error)).toEqual(["PERSISTED_QUERY_ONLY"]);

    // A task of the synthetic history has finished: one event with its final state, then complete.
    const byId = await run(c, { query: "", variables: { taskId }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(WATCH) } } });
    expect(byId.error).toBeUndefined();
    expect(byId.events.map((e) => e.data?.["exportTaskUpdated"])).toEqual([{ taskId, status: "SUCCESS" }]);
    const byDocumentId = await run(c, { query: "", variables: { taskId }, documentId: `sha256:${sha256(WATCH)}` } as SubscribePayload);
    expect(byDocumentId.error).toBeUndefined();
    await c.dispose();
  });
});

describe("graphql-ws on shutdown", () => {
  it("an open connection is closed (1001) when the gateway drains, and its stream's line is written", async () => {
    const h = await startServerHarness({ env: { LOG_LEVEL: "info", EMULATOR_TASK_SECONDS: "60", SHUTDOWN_DRAIN_DELAY_MS: "0" } });
    const taskId = await createTask(h);
    const c = client(h);
    let opened: () => void = () => undefined;
    const streaming = new Promise<void>((resolve) => (opened = resolve));
    const outcome = run(c, { query: WATCH, variables: { taskId }, operationName: "Watch" }, () => opened());
    await streaming;
    const started = performance.now();
    await h.close();
    expect(performance.now() - started).toBeLessThan(5_000);
    const { error } = await outcome;
    // The watch completes first (taskWatch.close), or the socket goes (1001): either ends the operation.
    if (error !== undefined) expect((error as { code?: number }).code).toBe(1001);
    expect(h.logs.records().some((r) => r["msg"] === "graphql operation" && r["operationName"] === "Watch" && r["status"] === 101)).toBe(true);
    await c.dispose();
  });
});
