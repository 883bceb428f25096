/**
 * The shape of a request's trace (design.md "Tracing: OpenTelemetry"), in process: the gateway's
 * own SDK set-up with an in-memory exporter, the real app (startApp) on a real port, the
 * emulator as the upstream. A request continuing a caller's `traceparent` yields the SERVER
 * span, the operation span, a page-read span per page (hit / miss / shared, quota wait) and a
 * CLIENT span per upstream attempt; throttled attempts carry `error.type`; log lines carry the
 * trace; a live poll links to its subscription.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse } from "../helpers/sse-client.js";
import { childrenOf, KIND, named, only, spanTree, startMemoryTracing, type MemoryTracing, type SpanRecord } from "../helpers/tracing.js";

const DESCRIBE = "cdn DescribeUserUsageDetailDataExportTask";
const DESCRIBE_USER = "cdn DescribeUserUsageDataExportTask";
const TASKS = "query Tasks($first: Int) { tasks(first: $first) { totalCount edges { node { taskId status } } } }";
const USER_TASKS = "query UserTasks { tasks(kind: USER_USAGE, first: 5) { totalCount } }";
const WATCH = "subscription Watch($taskId: String!) { exportTaskUpdated(kind: USAGE_DETAIL, taskId: $taskId) { taskId status } }";

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");
function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = hex(16);
  const parentId = hex(8);
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

const day = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Creating a USER_USAGE task drops that kind's pages from the cache: the next read goes upstream. */
async function freshUserUsagePages(): Promise<void> {
  const now = Date.now();
  const res = await postGraphQL(h.url, "mutation Invalidate($i: CreateUserUsageExportInput!) { createUserUsageExport(input: $i) { taskId } }", {
    variables: { i: { startTime: iso(now - 3 * day), endTime: iso(now - 2 * day) } },
  });
  expect(res.body.errors).toBeUndefined();
  mem.reset();
}

const ended = (name: string) => (spans: SpanRecord[]) => spans.some((span) => span.name === name);

let mem: MemoryTracing;
let emulator: RunningEmulator;
let h: ServerHarness;

function upstreamEnv(endpoint: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ALIBABA_CLOUD_ACCESS_KEY_ID: endpoint.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: endpoint.accessKeySecret,
    CDN_ENDPOINT: endpoint.url,
    GATEWAY_AUTH: "off",
    CDN_MAX_ATTEMPTS: "3",
    CDN_CACHE_TTL_MS: "60000",
    SUBSCRIPTION_POLL_MIN_MS: "50",
    ...extra,
  };
}

beforeAll(async () => {
  mem = await startMemoryTracing();
  emulator = await startEmulator({ port: 0, historySize: { USAGE_DETAIL: 120, USER_USAGE: 10 }, quotaPerSecond: 100_000 });
  h = await startServerHarness({ env: upstreamEnv(emulator) });
});

afterAll(async () => {
  await h?.close();
  await emulator?.close();
  await mem?.shutdown();
});

beforeEach(() => {
  emulator.setFaults({});
  mem.reset();
});

describe("one request, one trace", () => {
  it("continues the caller's traceparent: SERVER → operation → page read → CLIENT per attempt", async () => {
    const caller = traceparent();
    const res = await postGraphQL(h.url, TASKS, { variables: { first: 3 }, headers: { traceparent: caller.header, "x-request-id": "trace-shape-1" } });
    expect(res.body.errors).toBeUndefined();
    const spans = await mem.waitFor(ended("POST /graphql"));

    const server = only(spans, "POST /graphql");
    expect(server).toMatchObject({ kind: KIND.SERVER, traceId: caller.traceId, parentSpanId: caller.parentId });
    expect(server.attributes).toMatchObject({ "http.route": "/graphql", "http.request.method": "POST", "http.response.status_code": 200 });

    const operation = only(spans, "query Tasks");
    expect(operation.parentSpanId).toBe(server.spanId);
    expect(operation.attributes).toEqual({ "graphql.operation.type": "query", "graphql.operation.name": "Tasks" });

    const [read, ...moreReads] = childrenOf(spans, operation);
    expect(moreReads).toEqual([]);
    expect(read).toMatchObject({ name: "cdn.page_read", kind: KIND.INTERNAL });
    expect(read!.attributes).toMatchObject({ "cdn.cache": "miss", "cdn.export_kind": "USAGE_DETAIL", "cdn.page_number": 1 });
    expect(read!.attributes["cdn.quota_wait_ms"]).toBeLessThan(50);

    const [call, ...moreCalls] = childrenOf(spans, read!);
    expect(moreCalls).toEqual([]);
    expect(call).toMatchObject({ name: DESCRIBE, kind: KIND.CLIENT, status: { code: 0 } });
    expect(call!.attributes).toMatchObject({
      "cdn.action": "DescribeUserUsageDetailDataExportTask",
      "cdn.attempt": 1,
      "http.response.status_code": 200,
      "server.address": new URL(emulator.url).host,
    });
    expect(call!.attributes["cdn.request_id"]).toMatch(/^[0-9A-F-]{36}$/i);
    expect(call!.attributes["error.type"]).toBeUndefined();
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([caller.traceId]));

    // The same page again: served from the freshness window, no upstream call.
    mem.reset();
    await postGraphQL(h.url, TASKS, { variables: { first: 3 }, headers: { traceparent: traceparent().header } });
    const again = await mem.waitFor(ended("POST /graphql"));
    expect(only(again, "cdn.page_read").attributes).toMatchObject({ "cdn.cache": "hit", "cdn.quota_wait_ms": 0 });
    expect(named(again, DESCRIBE)).toEqual([]);
  });

  it("an unsampled caller's trace stays unsampled (parentbased_always_on), its log lines still name it", async () => {
    const traceId = hex(16);
    await postGraphQL(h.url, TASKS, { variables: { first: 3 }, headers: { traceparent: `00-${traceId}-${hex(8)}-00`, "x-request-id": "trace-unsampled-1" } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mem.spans().filter((span) => span.traceId === traceId)).toEqual([]);
    const lines = h.logs.records().filter((line) => line.requestId === "trace-unsampled-1");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.traceId).toBe(traceId);
  });

  it("identical reads in flight: one miss goes upstream, the others are shared", async () => {
    await freshUserUsagePages();
    emulator.setFaults({ latencyMs: 200 });
    const results = await Promise.all([1, 2, 3].map(() => postGraphQL(h.url, USER_TASKS)));
    for (const res of results) expect(res.body.errors).toBeUndefined();
    const spans = await mem.waitFor((all) => named(all, "POST /graphql").length === 3);
    const reads = named(spans, "cdn.page_read").map((read) => read.attributes["cdn.cache"]);
    expect(reads.sort()).toEqual(["miss", "shared", "shared"]);
    const calls = named(spans, DESCRIBE_USER);
    expect(calls).toHaveLength(1);
    // The one upstream call hangs under the read that started it.
    const miss = named(spans, "cdn.page_read").find((read) => read.attributes["cdn.cache"] === "miss")!;
    expect(calls[0]!.parentSpanId).toBe(miss.spanId);
  });

  it("every attempt is its own CLIENT span; throttling shows as error.type on each", async () => {
    await freshUserUsagePages();
    emulator.setFaults({ throttleRate: 1 });
    const res = await postGraphQL(h.url, "query Throttled { tasks(kind: USER_USAGE, first: 7) { totalCount } }");
    expect(res.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_THROTTLED");
    const spans = await mem.waitFor(ended("POST /graphql"));

    const attempts = named(spans, DESCRIBE_USER);
    expect(attempts.map((a) => a.attributes["cdn.attempt"])).toEqual([1, 2, 3]);
    for (const attempt of attempts) {
      expect(attempt.attributes).toMatchObject({ "error.type": "Throttling", "http.response.status_code": 503 });
      expect(attempt.status.code).toBe(2); // ERROR
    }
    const read = only(spans, "cdn.page_read");
    expect(attempts.every((a) => a.parentSpanId === read.spanId)).toBe(true);
    expect(read.attributes["error.type"]).toBe("Throttling");
    expect(only(spans, "query Throttled").attributes["error.type"]).toBe("UPSTREAM_THROTTLED");
  });

  it("a mutation and an anonymous query are named by their type", async () => {
    const now = Date.now();
    const created = await postGraphQL(h.url, "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }", {
      variables: { i: { type: "FLOW", startTime: iso(now - 3 * day), endTime: iso(now - 2 * day) } },
    });
    expect(created.body.errors).toBeUndefined();
    await postGraphQL(h.url, "{ tasks(first: 1) { totalCount } }");
    const spans = await mem.waitFor((all) => named(all, "POST /graphql").length === 2);
    const mutation = only(spans, "mutation Create");
    expect(mutation.attributes).toEqual({ "graphql.operation.type": "mutation", "graphql.operation.name": "Create" });
    const create = only(spans, "cdn CreateUsageDetailDataExportTask");
    expect(create.parentSpanId).toBe(mutation.spanId);
    expect(create.attributes).toMatchObject({ "cdn.attempt": 1, "http.response.status_code": 200 });
    expect(only(spans, "query").attributes).toEqual({ "graphql.operation.type": "query" });
  });
});

describe("what a span never holds, and what gets none", () => {
  it("GET /graphql: the query string (document and variables) is not recorded", async () => {
    const marker = "VariableValueThatMustNotBeTraced";
    const url = `${h.url}?query=${encodeURIComponent("query Q($m: String) { tasks(first: 1) { totalCount } }")}&variables=${encodeURIComponent(JSON.stringify({ m: marker }))}`;
    const res = await fetch(url, { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } });
    expect(res.status).toBe(200);
    await res.text();
    const spans = await mem.waitFor(ended("GET /graphql"));
    const server = only(spans, "GET /graphql");
    expect(server.attributes["url.query"]).toBeUndefined();
    const text = JSON.stringify(spans);
    expect(text).not.toContain(marker);
    expect(text).not.toContain("totalCount");
  });

  it("probes and the emulator's listener get no span", async () => {
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
    expect((await fetch(`${h.base}/ready`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // /ready calls the upstream too: its calls are not traced either.
    expect(spanTree(mem.spans())).toBe("");
  });
});

describe("logs inside a traced request", () => {
  it("carry traceId and spanId of the span they were written in", async () => {
    await freshUserUsagePages();
    const caller = traceparent();
    emulator.setFaults({ throttleRate: 1 });
    await postGraphQL(h.url, "query Logged { tasks(kind: USER_USAGE, first: 9) { totalCount } }", { headers: { traceparent: caller.header, "x-request-id": "trace-logs-1" } });
    const spans = await mem.waitFor(ended("POST /graphql"));
    const lines = h.logs.records().filter((line) => line.requestId === "trace-logs-1");
    expect(lines.length).toBeGreaterThan(1);
    const ids = new Set(spans.map((span) => span.spanId));
    for (const line of lines) {
      expect(line.traceId).toBe(caller.traceId);
      expect(ids.has(String(line.spanId))).toBe(true);
    }
    // The failure of an attempt is logged inside that attempt's CLIENT span.
    const failed = lines.filter((line) => line.msg === "upstream call failed");
    expect(failed.length).toBeGreaterThan(0);
    const attemptIds = new Set(named(spans, DESCRIBE_USER).map((span) => span.spanId));
    for (const line of failed) expect(attemptIds.has(String(line.spanId))).toBe(true);
    // The access line is written in the SERVER span.
    const access = lines.find((line) => line.msg === "graphql operation");
    expect(access?.spanId).toBe(only(spans, "POST /graphql").spanId);
  });
});

describe("live polls", () => {
  it("a poll started by a subscription starts its own trace and links to the subscription's", async () => {
    const listed = await postGraphQL(h.url, TASKS, { variables: { first: 1 } });
    const taskId = (listed.body.data as { tasks: { edges: Array<{ node: { taskId: string } }> } }).tasks.edges[0]!.node.taskId;
    mem.reset();
    const caller = traceparent();
    const stream = await subscribeSse<{ exportTaskUpdated: { taskId: string } }>(h.url, { query: WATCH, variables: { taskId } }, { traceparent: caller.header });
    const first = await stream.next();
    expect(first?.data?.exportTaskUpdated.taskId).toBe(taskId);
    stream.close();
    const spans = await mem.waitFor((all) => ended("live.poll")(all) && ended("subscription Watch")(all));

    const subscription = only(spans, "subscription Watch");
    expect(subscription.traceId).toBe(caller.traceId);
    const poll = named(spans, "live.poll")[0]!;
    expect(poll.parentSpanId).toBeNull();
    expect(poll.traceId).not.toBe(caller.traceId);
    expect(poll.links).toContainEqual({ traceId: caller.traceId, spanId: subscription.spanId });
    expect(poll.attributes).toMatchObject({ "cdn.export_kind": "USAGE_DETAIL", "cdn.task_id": taskId });
    // The poll's page reads are in the poll's trace, not the subscriber's.
    expect(childrenOf(spans, poll).map((span) => span.name)).toContain("cdn.page_read");
  });
});

describe("quota waits and retries", () => {
  let slow: RunningEmulator;
  let g: ServerHarness;
  let eager: ServerHarness;

  beforeAll(async () => {
    // One call a second at the upstream; `g` keeps to it with its own quota, `eager` does not.
    slow = await startEmulator({ port: 0, historySize: { USAGE_DETAIL: 120, USER_USAGE: 10 }, quotaPerSecond: 1 });
    g = await startServerHarness({ env: upstreamEnv(slow, { CDN_RATE_LIMIT: "1" }) });
    eager = await startServerHarness({ env: upstreamEnv(slow, { CDN_RATE_LIMIT: "1000" }) });
  });
  afterAll(async () => {
    await g?.close();
    await eager?.close();
    await slow?.close();
  });

  it("an attempt the upstream throttled is followed by attempt 2 once its retry-after passed", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a fresh upstream second
    const caller = traceparent();
    const res = await postGraphQL(eager.url, TASKS, { variables: { first: 100 }, headers: { traceparent: caller.header } });
    expect(res.body.errors).toBeUndefined();
    const inTrace = (all: SpanRecord[]): SpanRecord[] => all.filter((span) => span.traceId === caller.traceId);
    const spans = inTrace(await mem.waitFor((all) => ended("POST /graphql")(inTrace(all)), 10_000));
    const attempts = named(spans, DESCRIBE);
    const throttled = attempts.filter((attempt) => attempt.attributes["error.type"] === "Throttling");
    expect(throttled.length).toBeGreaterThan(0);
    for (const first of throttled) {
      expect(first.attributes).toMatchObject({ "cdn.attempt": 1, "http.response.status_code": 503 });
      expect(first.attributes["cdn.retry_after_ms"]).toBeGreaterThan(0);
      expect(first.attributes["cdn.request_id"]).toEqual(expect.any(String));
      const retry = childrenOf(spans, { ...first, spanId: first.parentSpanId ?? "" }).find((sibling) => sibling.attributes["cdn.attempt"] === 2);
      expect(retry?.attributes).toMatchObject({ "http.response.status_code": 200 });
      expect(retry?.attributes["error.type"]).toBeUndefined();
    }
  }, 20_000);

  it("a read that waited for a quota slot says how long, on the page read and on the attempt", async () => {
    // Two pages at once: the second waits about a second for the gateway's quota slot.
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a fresh upstream second
    const caller = traceparent();
    const res = await postGraphQL(g.url, TASKS, { variables: { first: 100 }, headers: { traceparent: caller.header } });
    expect(res.body.errors).toBeUndefined();
    const inTrace = (all: SpanRecord[]): SpanRecord[] => all.filter((span) => span.traceId === caller.traceId);
    const spans = inTrace(await mem.waitFor((all) => ended("POST /graphql")(inTrace(all)), 10_000));
    const reads = named(spans, "cdn.page_read");
    expect(reads).toHaveLength(2);
    const waits = reads.map((read) => Number(read.attributes["cdn.quota_wait_ms"])).sort((a, b) => a - b);
    expect(waits[0]).toBeLessThan(100);
    expect(waits[1]).toBeGreaterThan(500);
    const waited = reads.find((read) => Number(read.attributes["cdn.quota_wait_ms"]) > 500)!;
    const attempts = childrenOf(spans, waited);
    const attemptWaits = attempts.reduce((sum, attempt) => sum + Number(attempt.attributes["cdn.quota_wait_ms"]), 0);
    expect(Math.abs(attemptWaits - Number(waited.attributes["cdn.quota_wait_ms"]))).toBeLessThanOrEqual(attempts.length);
  }, 20_000);
});

describe("export files", () => {
  it("reading a finished export's usage: export.fetch and export.parse in the operation's trace, the storage host only", async () => {
    const files = await startServerHarness({ env: upstreamEnv(emulator, { CDN_DOWNLOAD_ORIGINS: emulator.url }) });
    try {
      const list = await postGraphQL(files.url, "{ tasks(first: 50) { edges { node { taskId status } } } }");
      const data = list.body.data as { tasks: { edges: { node: { taskId: string; status: string } }[] } };
      const done = data.tasks.edges.map((edge) => edge.node).find((node) => node.status === "SUCCESS");
      expect(done).toBeDefined();
      mem.reset();
      const caller = traceparent();
      const res = await postGraphQL(files.url, "query Usage($id: String!) { task(taskId: $id) { usage(interval: DAY) { summary { trafficBytes } } } }", {
        variables: { id: done!.taskId },
        headers: { traceparent: caller.header },
      });
      expect(res.body.errors).toBeUndefined();
      const spans = await mem.waitFor(ended("POST /graphql"));
      const fetch = only(spans, "export.fetch");
      const parse = only(spans, "export.parse");
      for (const span of [fetch, parse]) {
        expect(span.traceId).toBe(caller.traceId);
        expect(span.attributes).toMatchObject({ "cdn.export_kind": "USAGE_DETAIL", "cdn.task_id": done!.taskId, "server.address": new URL(emulator.url).hostname });
      }
      expect(fetch.kind).toBe(KIND.CLIENT);
      // The signed link (its path token and query) is never recorded.
      expect(JSON.stringify([fetch, parse])).not.toMatch(/downloads\/|Signature|Expires/);
    } finally {
      await files.close();
    }
  });
});
