/**
 * Shared state on the real Redis (127.0.0.1:6379; REQUIRE_REDIS=1 in CI turns "unreachable"
 * into a failure): two gateway replicas — two `startApp` wirings with their own clients, stores
 * and connections — share only Redis and one upstream (the emulator on loopback).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { permitStoreKeys } from "../../src/state/quota/redis-permit-store.js";
import { UpstreamQuotaExhaustedError } from "../../src/upstream/errors.js";
import { closedPort, deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const hasRedis = await redisReachable();

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const NOW = Date.now();
const INPUT = { type: "FLOW", startTime: iso(NOW - 6 * DAY), endTime: iso(NOW - 5 * DAY) };
const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }";
const TASKS = "query Tasks { tasks(first: 5) { totalCount } }";
const API_KEY = "replica-test-key-6e2b91d0";
const auth = { authorization: `Bearer ${API_KEY}` };
const CREATE_ACTION = "CreateUsageDetailDataExportTask";

interface CreateData {
  createUsageExport: { taskId: string };
}

async function readyBody(h: ServerHarness): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${h.base}/ready`);
  return { status: res.status, body: await res.json() };
}

describe.skipIf(!hasRedis)("two replicas sharing one Redis", () => {
  let emulator: RunningEmulator;
  let a: ServerHarness;
  let b: ServerHarness;
  let admin: Redis;
  const prefix = uniquePrefix("replicas");
  const creates = (): number => emulator.stats().calls[CREATE_ACTION] ?? 0;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, historySize: 0, quotaPerSecond: 100_000 });
    const env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
      CDN_ENDPOINT: emulator.url,
      CDN_CACHE_TTL_MS: "60000",
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      GATEWAY_API_KEYS: JSON.stringify([{ name: "exporter", key: API_KEY, scopes: ["export:read", "export:create", "export:delete"] }]),
    };
    [a, b] = await Promise.all([startServerHarness({ env }), startServerHarness({ env })]);
    admin = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await emulator.close();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });
  beforeEach(() => {
    emulator.setFaults({});
    emulator.resetStats();
  });

  it("both replicas run on Redis and report it ready", async () => {
    expect([a.state.mode, b.state.mode]).toEqual(["redis", "redis"]);
    expect(a.state.redis).not.toBe(b.state.redis);
    for (const h of [a, b]) {
      expect(await readyBody(h)).toEqual({ status: 200, body: { status: "ready", checks: { upstream: "ok", redis: "ok" } } });
    }
  });

  it("50 concurrent creates with one key across both replicas make exactly one upstream task", async () => {
    const key = randomUUID();
    emulator.setFaults({ latencyMs: 300 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        postGraphQL((i % 2 === 0 ? a : b).url, CREATE, { headers: auth, variables: { i: { ...INPUT, idempotencyKey: key } } }),
      ),
    );
    emulator.setFaults({});
    expect(creates()).toBe(1);

    const succeeded = responses.filter((r) => r.body.errors === undefined);
    const taskIds = new Set(succeeded.map((r) => (r.body.data as CreateData).createUsageExport.taskId));
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    expect(taskIds.size).toBe(1);
    for (const r of responses.filter((x) => x.body.errors !== undefined)) {
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(["IDEMPOTENCY_IN_PROGRESS"]);
    }
    const [taskId] = [...taskIds];

    // A retry on either replica replays the result; the upstream lists exactly that one task.
    for (const h of [a, b]) {
      const retry = await postGraphQL(h.url, CREATE, { headers: auth, variables: { i: { ...INPUT, idempotencyKey: key } } });
      expect((retry.body.data as CreateData).createUsageExport.taskId).toBe(taskId);
    }
    expect(creates()).toBe(1);
    const listed = await a.client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
    expect(listed.tasks.map((t) => t.taskId)).toEqual([taskId]);

    // The same key with another payload is refused on the other replica too.
    const reused = await postGraphQL(b.url, CREATE, { headers: auth, variables: { i: { ...INPUT, type: "VAS", idempotencyKey: key } } });
    expect(reused.body.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(creates()).toBe(1);
  });

  it("a create on one replica drops the other replica's cached pages", async () => {
    const before = await postGraphQL(a.url, TASKS, { headers: auth });
    const count = (before.body.data as { tasks: { totalCount: number } }).tasks.totalCount;
    await postGraphQL(b.url, CREATE, { headers: auth, variables: { i: INPUT } });
    await expect
      .poll(async () => ((await postGraphQL(a.url, TASKS, { headers: auth })).body.data as { tasks: { totalCount: number } }).tasks.totalCount, {
        timeout: 5_000,
        interval: 50,
      })
      .toBe(count + 1);
  });

  it("the upstream quota (CDN_RATE_LIMIT) is one bucket for both replicas", async () => {
    const permitsKey = permitStoreKeys(`${prefix}quota`).permits;
    const rate = a.config.upstream.rateLimit;
    // Every permit taken by calls in flight elsewhere, for longer than the quota's longest wait.
    const [seconds] = await admin.time();
    const heldUntil = (Number(seconds) + 30) * 1000;
    const elsewhere = Array.from({ length: rate }, (_, i) => `elsewhere:${i}`);
    await admin.zadd(permitsKey, ...elsewhere.flatMap((member) => [heldUntil, member]));
    // A call on either replica finds the shared permits taken and fails within its longest wait
    // (any of those calls might end at once, so each waits up to CDN_RATE_LIMIT's max wait).
    const [fromA, fromB, throttled] = await Promise.all([
      a.client.describeTasks("USER_USAGE", { pageNumber: 1, pageSize: 1 }).catch((e: unknown) => e),
      b.client.describeTasks("USER_USAGE", { pageNumber: 1, pageSize: 1 }).catch((e: unknown) => e),
      postGraphQL(b.url, '{ task(kind: USER_USAGE, taskId: "absent") { taskId } }', { headers: auth }),
    ]);
    expect(fromA).toBeInstanceOf(UpstreamQuotaExhaustedError);
    expect(fromB).toBeInstanceOf(UpstreamQuotaExhaustedError);
    expect(throttled.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_THROTTLED");
    expect(emulator.stats().total).toBe(0);

    await admin.zrem(permitsKey, ...elsewhere);
    await a.client.describeTasks("USER_USAGE", { pageNumber: 1, pageSize: 1 });
    await b.client.describeTasks("USER_USAGE", { pageNumber: 1, pageSize: 1 });
    // Both replicas' calls sit in the one set (members are `<replica>:<call>`), expiring when unused.
    const replicas = new Set((await admin.zrange(permitsKey, 0, -1)).map((member) => member.split(":")[0]));
    expect(replicas.size).toBeGreaterThanOrEqual(2);
    expect(await admin.pttl(permitsKey)).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasRedis)("Redis going down at run time", () => {
  let proxy: TcpProxy;
  let h: ServerHarness;
  const prefix = uniquePrefix("redis-down");

  beforeAll(async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    h = await startServerHarness({
      env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix, CDN_CACHE_TTL_MS: "0", LOG_LEVEL: "info" },
      app: { gateway: { readiness: { cacheMs: 0 } } },
    });
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
    const admin = new Redis(TEST_REDIS_URL);
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });

  it("keeps serving reads, refuses keyed creates, says so in /ready and the logs, and recovers", async () => {
    expect((await readyBody(h)).body).toEqual({ status: "ready", checks: { upstream: "ok", redis: "ok" } });

    await proxy.stop();
    await expect.poll(async () => (await readyBody(h)).body, { timeout: 10_000, interval: 100 }).toEqual({
      status: "degraded",
      checks: { upstream: "ok", redis: "failed" },
    });
    expect((await readyBody(h)).status).toBe(200);
    expect(h.logs.records().some((r) => r.level === "warn" && String(r.msg).startsWith("Redis unavailable"))).toBe(true);

    h.emulator!.resetStats();
    const read = await postGraphQL(h.url, TASKS);
    expect(read.status).toBe(200);
    expect(read.body.errors).toBeUndefined();
    expect(h.emulator!.stats().total).toBeGreaterThanOrEqual(1);

    h.emulator!.resetStats();
    const keyed = await postGraphQL(h.url, CREATE, { variables: { i: { ...INPUT, idempotencyKey: randomUUID() } } });
    expect(keyed.body.errors?.[0]?.extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", reason: "idempotency-store-unavailable" });
    expect(h.emulator!.stats().calls[CREATE_ACTION]).toBeUndefined();
    const unkeyed = await postGraphQL(h.url, CREATE, { variables: { i: INPUT } });
    expect(unkeyed.body.errors).toBeUndefined();

    await proxy.start();
    await expect.poll(async () => (await readyBody(h)).body, { timeout: 20_000, interval: 200 }).toEqual({
      status: "ready",
      checks: { upstream: "ok", redis: "ok" },
    });
    expect(h.logs.records().some((r) => String(r.msg).startsWith("Redis connection restored"))).toBe(true);
    const again = await postGraphQL(h.url, CREATE, { variables: { i: { ...INPUT, idempotencyKey: randomUUID() } } });
    expect(again.body.errors).toBeUndefined();
  }, 60_000);
});

describe.skipIf(!hasRedis)("shutdown", () => {
  it("closes both Redis connections", async () => {
    const h = await startServerHarness({ env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix("shutdown") } });
    const redis = h.state.redis!;
    expect(redis.isRedisHealthy()).toBe(true);
    await h.close();
    expect([redis.commands.status, redis.subscriber.status]).toEqual(["end", "end"]);
    expect(h.logs.records().some((r) => String(r.msg).startsWith("Redis unavailable"))).toBe(false);
  });
});

describe("Redis unreachable at start-up", () => {
  it("starts anyway, serves reads and reports degraded readiness", async () => {
    const h = await startServerHarness({ env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, CDN_CACHE_TTL_MS: "0" } });
    try {
      expect(h.state.mode).toBe("redis");
      const read = await postGraphQL(h.url, TASKS);
      expect(read.body.errors).toBeUndefined();
      expect(await readyBody(h)).toEqual({ status: 200, body: { status: "degraded", checks: { upstream: "ok", redis: "failed" } } });
      expect(h.logs.records().some((r) => r.level === "warn" && String(r.msg).startsWith("Redis unavailable"))).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe("REDIS_KEY_PREFIX", () => {
  it("defaults to cdn-export-gateway: and refuses characters outside a safe set", () => {
    expect(loadConfig({}).redisKeyPrefix).toBe("cdn-export-gateway:");
    expect(loadConfig({ REDIS_KEY_PREFIX: "prod-eu:" }).redisKeyPrefix).toBe("prod-eu:");
    expect(() => loadConfig({ REDIS_KEY_PREFIX: "has space" })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_KEY_PREFIX: "x".repeat(65) })).toThrow(/REDIS_KEY_PREFIX/);
  });
});
