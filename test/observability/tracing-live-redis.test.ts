/**
 * A live poll's links across replicas: two gateway replicas (two `startApp` wirings) sharing
 * Redis, the emulator as the upstream, an in-memory span exporter. The replica that polls a task
 * links its `live.poll` spans to the subscriptions on the other replica too (their span contexts
 * travel through `<prefix>task-watch:links:<kind>:<taskId>`), and what else is in that hash
 * (malformed, expired) is never linked.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse } from "../helpers/sse-client.js";
import { named, startMemoryTracing, type MemoryTracing, type SpanRecord } from "../helpers/tracing.js";

const hasRedis = await redisReachable();

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }";
const WATCH = "subscription Watch($taskId: String!) { exportTaskUpdated(kind: USAGE_DETAIL, taskId: $taskId) { taskId status } }";

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");
function caller(): { header: string; traceId: string } {
  const traceId = hex(16);
  return { header: `00-${traceId}-${hex(8)}-01`, traceId };
}

describe.skipIf(!hasRedis)("live.poll links across replicas sharing Redis", () => {
  const prefix = uniquePrefix("live-links");
  let admin: Redis;
  let mem: MemoryTracing;
  let emulator: RunningEmulator;
  let a: ServerHarness;
  let b: ServerHarness;

  beforeAll(async () => {
    admin = new Redis(TEST_REDIS_URL);
    mem = await startMemoryTracing();
    // Tasks stay CREATED: a watch lasts until its clients leave.
    emulator = await startEmulator({ port: 0, historySize: 0, quotaPerSecond: 100_000, taskSeconds: 3600 });
    const env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
      CDN_ENDPOINT: emulator.url,
      GATEWAY_AUTH: "off",
      SUBSCRIPTION_POLL_MIN_MS: "100",
      SUBSCRIPTION_POLL_MAX_MS: "200",
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    };
    [a, b] = await Promise.all([startServerHarness({ env }), startServerHarness({ env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await emulator?.close();
    await mem?.shutdown();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });
  beforeEach(() => mem.reset());

  async function createTask(): Promise<string> {
    const now = Date.now();
    const res = await postGraphQL(a.url, CREATE, { variables: { i: { type: "FLOW", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) } } });
    expect(res.body.errors).toBeUndefined();
    return (res.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
  }
  const watch = (h: ServerHarness, taskId: string, traceparent: string) =>
    subscribeSse<{ exportTaskUpdated: { taskId: string } }>(h.url, { query: WATCH, variables: { taskId } }, { traceparent });
  const linksKey = (taskId: string): string => `${prefix}task-watch:links:USAGE_DETAIL:${taskId}`;
  const pollsOf = (spans: SpanRecord[], taskId: string): SpanRecord[] =>
    named(spans, "live.poll").filter((span) => span.attributes["cdn.task_id"] === taskId);
  const subscriptionIn = (spans: SpanRecord[], traceId: string): SpanRecord | undefined =>
    spans.find((span) => span.name === "subscription Watch" && span.traceId === traceId);

  it("the leader's poll links to the subscription on the follower as well as its own", async () => {
    const taskId = await createTask();
    const onA = caller();
    const onB = caller();
    const streamA = await watch(a, taskId, onA.header);
    expect((await streamA.next())?.data?.exportTaskUpdated.taskId).toBe(taskId);
    const streamB = await watch(b, taskId, onB.header);
    expect((await streamB.next())?.data?.exportTaskUpdated.taskId).toBe(taskId);
    // A joined first and polls; B follows.
    expect(a.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, pollers: 1 });
    expect(b.gateway.taskWatch.stats()).toMatchObject({ tasks: 1, pollers: 0 });

    const linksB = (poll: SpanRecord): boolean => poll.links.some((link) => link.traceId === onB.traceId);
    const spans = await mem.waitFor(
      (all) => subscriptionIn(all, onA.traceId) !== undefined && subscriptionIn(all, onB.traceId) !== undefined && pollsOf(all, taskId).some(linksB),
      10_000,
    );
    const subscriptionA = subscriptionIn(spans, onA.traceId)!;
    const subscriptionB = subscriptionIn(spans, onB.traceId)!;
    const poll = pollsOf(spans, taskId).find(linksB)!;
    expect(poll.parentSpanId).toBeNull();
    expect([onA.traceId, onB.traceId]).not.toContain(poll.traceId);
    // Local subscribers first, then the other replica's.
    expect(poll.links).toEqual([
      { traceId: onA.traceId, spanId: subscriptionA.spanId },
      { traceId: onB.traceId, spanId: subscriptionB.spanId },
    ]);
    expect(poll.attributes["live.subscribers"]).toBe(2);
    expect(b.gateway.taskWatch.stats().polls).toBe(0);

    // Each replica's field goes when its last subscriber does, and the key with them.
    expect(await admin.hlen(linksKey(taskId))).toBe(2);
    expect(await admin.pttl(linksKey(taskId))).toBeGreaterThan(0);
    streamB.close();
    await vi.waitFor(async () => expect(await admin.hlen(linksKey(taskId))).toBe(1), { timeout: 10_000, interval: 50 });
    streamA.close();
    await vi.waitFor(async () => expect(await admin.exists(linksKey(taskId))).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it("entries that are malformed, expired or without an expiry are not linked", async () => {
    const taskId = await createTask();
    const later = Date.now() + 60_000;
    const valid = caller();
    const expired = caller();
    const undated = caller();
    await admin.hset(linksKey(taskId), {
      garbage: "not an entry",
      expired: `${Date.now() - 1_000} ${expired.header}`,
      undated: undated.header,
      mixed: [
        later,
        `00-${hex(16).toUpperCase()}-${hex(8)}-01`, // upper case
        `01-${hex(16)}-${hex(8)}-01`, // another version
        `00-${"0".repeat(32)}-${hex(8)}-01`, // invalid trace id
        `00-${hex(16)}-${"0".repeat(16)}-01`, // invalid span id
        `00-${hex(16)}-${hex(8)}-01-extra`,
        `00-${hex(15)}-${hex(8)}-01`,
        valid.header,
      ].join(" "),
    });
    const onA = caller();
    const stream = await watch(a, taskId, onA.header);
    expect((await stream.next())?.data?.exportTaskUpdated.taskId).toBe(taskId);
    const linksMore = (poll: SpanRecord): boolean => poll.links.length > 1;
    const spans = await mem.waitFor((all) => subscriptionIn(all, onA.traceId) !== undefined && pollsOf(all, taskId).some(linksMore), 10_000);
    const poll = pollsOf(spans, taskId).find(linksMore)!;
    expect(poll.links).toEqual([
      { traceId: onA.traceId, spanId: subscriptionIn(spans, onA.traceId)!.spanId },
      { traceId: valid.traceId, spanId: valid.header.slice(36, 52) },
    ]);
    stream.close();
    // The replica removes its own field only; the foreign ones stay until the key expires.
    await vi.waitFor(async () => expect(await admin.hlen(linksKey(taskId))).toBe(4), { timeout: 10_000, interval: 50 });
  });
});
