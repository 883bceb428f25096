/**
 * `exportTaskUpdated` over real SSE on a real port (startApp wiring, embedded emulator): two
 * clients on one task share one poll and see the same transitions; polls are upstream calls the
 * emulator counts; when the last client disconnects the polling stops.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse, type GraphQLEvent } from "../helpers/sse-client.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const DESCRIBE = "DescribeUserUsageDetailDataExportTask";

const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }";
const WATCH = `subscription Watch($kind: ExportKind!, $taskId: String!) {
  exportTaskUpdated(kind: $kind, taskId: $taskId) { id taskId status rawStatus updatedAt downloadUrl }
}`;

interface Watched {
  exportTaskUpdated: { id: string; taskId: string; status: string; rawStatus: string; updatedAt: string | null; downloadUrl: string | null };
}

async function createTask(h: ServerHarness): Promise<string> {
  const now = Date.now();
  const res = await postGraphQL(h.url, CREATE, { variables: { i: { type: "FLOW", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) } } });
  expect(res.body.errors).toBeUndefined();
  return (res.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
}

const watch = (h: ServerHarness, taskId: string, headers: Record<string, string> = {}) =>
  subscribeSse<Watched>(h.url, { query: WATCH, variables: { kind: "USAGE_DETAIL", taskId } }, headers);

const statusOf = (event: GraphQLEvent<Watched> | null): string | undefined => event?.data?.exportTaskUpdated.status;

describe("exportTaskUpdated: a task that finishes", () => {
  let h: ServerHarness;
  const describes = (): number => h.emulator!.stats().calls[DESCRIBE] ?? 0;

  beforeAll(async () => {
    // 3 s in `created`: time enough for the second client to join before the task moves.
    h = await startServerHarness({ env: { EMULATOR_TASK_SECONDS: "3" } });
  });
  afterAll(() => h.close());

  it("two clients see the same CREATED → SUCCESS transitions from one shared poll, then complete", async () => {
    const taskId = await createTask(h);
    h.emulator!.resetStats();
    const pollsBefore = h.gateway.taskWatch.stats().polls;

    const a = await watch(h, taskId);
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toContain("text/event-stream");
    const a1 = await a.next();
    expect(statusOf(a1)).toBe("CREATED");

    const b = await watch(h, taskId);
    const b1 = await b.next();
    // The second client's first event is the shared watch's current state: no extra read.
    expect(b1).toEqual(a1);
    expect(h.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, subscribers: 2, pollers: 1 });

    const [aRest, bRest] = await Promise.all([a.rest(), b.rest()]);
    expect(aRest.map(statusOf)).toEqual(["SUCCESS"]);
    expect(bRest).toEqual(aRest);
    expect(aRest[0]?.data?.exportTaskUpdated.downloadUrl).toMatch(/^http/);
    expect(a.completed && b.completed).toBe(true);

    // Every upstream read was one poll of the one watch (some polls may be page-cache hits).
    const polls = h.gateway.taskWatch.stats().polls - pollsBefore;
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(describes()).toBeGreaterThanOrEqual(1);
    expect(describes()).toBeLessThanOrEqual(polls);
    expect(h.gateway.taskWatch.stats()).toMatchObject({ tasks: 0, subscribers: 0, pollers: 0 });
  });

  it("a task that already finished: one event with its final state, then complete", async () => {
    const taskId = await createTask(h);
    await vi.waitFor(
      async () => {
        const res = await postGraphQL(h.url, `{ task(taskId: "${taskId}") { status } }`);
        expect((res.body.data as { task: { status: string } }).task.status).toBe("SUCCESS");
      },
      { timeout: 15_000, interval: 500 },
    );
    const s = await watch(h, taskId);
    const events = await s.rest();
    expect(events.map(statusOf)).toEqual(["SUCCESS"]);
    expect(s.completed).toBe(true);
  });

  it("a task the upstream does not list: NOT_FOUND, then complete", async () => {
    const s = await watch(h, "99999999999");
    const events = await s.rest();
    expect(events).toHaveLength(1);
    expect(events[0]?.data ?? null).toBeNull();
    expect(events[0]?.errors?.[0]?.extensions).toEqual({ code: "NOT_FOUND", kind: "USAGE_DETAIL", taskId: "99999999999" });
    expect(s.completed).toBe(true);
  });

  it("arguments are checked before any read", async () => {
    h.emulator!.resetStats();
    const s = await watch(h, "not a task id!");
    const events = await s.rest();
    expect(events[0]?.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(h.emulator!.stats().total).toBe(0);
  });
});

describe("exportTaskUpdated: clients leaving", () => {
  let h: ServerHarness;
  const describes = (): number => h.emulator!.stats().calls[DESCRIBE] ?? 0;

  beforeAll(async () => {
    // A task that stays `created`, fast polls and no page cache: every poll is an upstream read.
    h = await startServerHarness({
      env: { EMULATOR_TASK_SECONDS: "3600", SUBSCRIPTION_POLL_MIN_MS: "100", SUBSCRIPTION_POLL_MAX_MS: "200", CDN_CACHE_TTL_MS: "0" },
    });
  });
  afterAll(() => h.close());

  it("polls while anyone watches and stops when the last client disconnects", async () => {
    const taskId = await createTask(h);
    const a = await watch(h, taskId);
    const b = await watch(h, taskId);
    expect(statusOf(await a.next())).toBe("CREATED");
    expect(statusOf(await b.next())).toBe("CREATED");
    expect(h.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, subscribers: 2, pollers: 1 });

    const grows = async (by: number): Promise<void> => {
      const start = describes();
      await vi.waitFor(() => expect(describes()).toBeGreaterThanOrEqual(start + by), { timeout: 10_000, interval: 50 });
    };
    await grows(3);

    a.close();
    await vi.waitFor(() => expect(h.gateway.taskWatch.stats()).toMatchObject({ subscribers: 1, pollers: 1 }), { timeout: 10_000, interval: 20 });
    await grows(2); // the remaining client keeps the poll alive

    b.close();
    await vi.waitFor(() => expect(h.gateway.taskWatch.stats()).toMatchObject({ tasks: 0, subscribers: 0, pollers: 0 }), { timeout: 10_000, interval: 20 });
    await sleep(300); // a read that was in flight lands
    const stopped = describes();
    await sleep(1_000); // five times the longest poll interval
    expect(describes()).toBe(stopped);
  });
});

describe("exportTaskUpdated: scopes", () => {
  let h: ServerHarness;
  const KEY = "reader-without-read-scope-4f1e";

  beforeAll(async () => {
    h = await startServerHarness({ env: { GATEWAY_API_KEYS: JSON.stringify([{ name: "creator", key: KEY, scopes: ["export:create"] }]) } });
  });
  afterAll(() => h.close());

  it("needs export:read; refused before any upstream read", async () => {
    h.emulator!.resetStats();
    const s = await watch(h, "10000001", { authorization: `Bearer ${KEY}` });
    const events = await s.rest();
    expect(events[0]?.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(h.emulator!.stats().total).toBe(0);
  });

  it("without credentials: 401", async () => {
    const s = await watch(h, "10000001");
    expect(s.status).toBe(401);
    s.close();
  });
});

describe("exportTaskUpdated: shutdown", () => {
  it("graceful shutdown completes open streams instead of waiting for the force timeout", async () => {
    // A 60 s force timeout: if open streams held their connections, close() would outlast the test.
    const h = await startServerHarness({ env: { EMULATOR_TASK_SECONDS: "3600", SHUTDOWN_TIMEOUT_MS: "60000" } });
    const taskId = await createTask(h);
    const s = await watch(h, taskId);
    expect(statusOf(await s.next())).toBe("CREATED");
    await h.close();
    expect(await s.rest()).toEqual([]);
    expect(s.completed).toBe(true);
  });
});
