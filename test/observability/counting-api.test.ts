/**
 * The access log's `upstreamCalls` counts the calls of a request that reached the upstream:
 * not pages answered from the freshness window, not reads joined while another request's read
 * was in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countUpstreamCalls } from "../../src/observability/counting-api.js";
import { createPageCache } from "../../src/reading/page-cache.js";
import type { CdnExportApi, PageRequest } from "../../src/upstream/types.js";
import { createFakeApi } from "../helpers/fake-api.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const PAGE: PageRequest = { pageNumber: 1, pageSize: 50 };
const usage = { type: "flow" as const, startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" };

/** The loader tests' in-memory upstream, with creates that succeed. */
function upstream(): CdnExportApi {
  return { ...createFakeApi(), createUsageDetailTask: () => Promise.resolve({ requestId: "r", taskId: "t1", ...usage }) };
}

describe("countUpstreamCalls", () => {
  it("over a bare api counts every call", async () => {
    const api = upstream();
    let calls = 0;
    const counted = countUpstreamCalls(api, () => (calls += 1));
    await counted.describeTasks("USAGE_DETAIL", PAGE);
    await counted.describeTasks("USAGE_DETAIL", PAGE);
    await counted.createUsageDetailTask(usage);
    expect(calls).toBe(3);
  });

  it("over the page cache counts writes and the reads it started, not window hits or joined reads", async () => {
    const api = upstream();
    const cache = createPageCache(api, { ttlMs: 60_000 });
    const perRequest = [0, 0, 0];
    const views = perRequest.map((_, i) => countUpstreamCalls(cache, () => (perRequest[i] = (perRequest[i] ?? 0) + 1)));
    await Promise.all([views[0]?.describeTasks("USAGE_DETAIL", PAGE), views[1]?.describeTasks("USAGE_DETAIL", PAGE)]);
    await views[2]?.describeTasks("USAGE_DETAIL", PAGE);
    expect(perRequest).toEqual([1, 0, 0]);
    await views[2]?.createUsageDetailTask(usage);
    await views[2]?.describeTasks("USAGE_DETAIL", PAGE); // the create dropped the kind
    expect(perRequest).toEqual([1, 0, 2]);
  });
});

describe("access log upstreamCalls through the running gateway", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    h = await startServerHarness({ env: { LOG_LEVEL: "info", CDN_CACHE_TTL_MS: "60000" } });
  });
  afterAll(() => h.close());

  const TASKS = "query Tasks { tasks(first: 5) { totalCount edges { node { taskId } } } }";
  const upstreamCallsOf = (requestId: string): unknown =>
    h.logs.records().find((r) => r.msg === "graphql operation" && r.requestId === requestId)?.upstreamCalls;

  it("two concurrent identical requests and one within the window: 1, 0, 0", async () => {
    // A slow upstream, so the second request arrives while the first one's read is in flight.
    h.emulator!.setFaults({ latencyMs: 200 });
    try {
      const both = await Promise.all(
        ["req-count-a", "req-count-b"].map((id) => postGraphQL(h.url, TASKS, { headers: { "x-request-id": id } })),
      );
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      const third = await postGraphQL(h.url, TASKS, { headers: { "x-request-id": "req-count-c" } });
      expect(third.status).toBe(200);
    } finally {
      h.emulator!.setFaults({});
    }
    const concurrent = [upstreamCallsOf("req-count-a"), upstreamCallsOf("req-count-b")];
    // Which of the two started the read depends on arrival order; exactly one did.
    expect([...concurrent].sort()).toEqual([0, 1]);
    expect(upstreamCallsOf("req-count-c")).toBe(0);
  });
});
