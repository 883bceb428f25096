import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { UpstreamQuotaExhaustedError } from "../../src/upstream/errors.js";
import { createMemoryQuota, createRedisQuota, type UpstreamQuota } from "../../src/upstream/quota.js";
import type { UpstreamObserver } from "../../src/upstream/types.js";
import { json, startUpstreamTestServer, upstreamError, type UpstreamTestServer } from "../helpers/upstream-test-server.js";
import { AK, clientFor, pageBody } from "./fixtures.js";

/** Resolution times (ms since start) of `count` concurrent acquires, sorted. */
async function acquireTimes(quota: UpstreamQuota, count: number, observer?: UpstreamObserver): Promise<number[]> {
  const started = performance.now();
  const times = await Promise.all(
    Array.from({ length: count }, async () => {
      await quota.acquire("DescribeUserUsageDataExportTask", observer === undefined ? {} : { observer });
      return performance.now() - started;
    }),
  );
  return times.sort((a, b) => a - b);
}

async function expectExhausted(quota: UpstreamQuota): Promise<void> {
  const error = await quota.acquire("CreateUserUsageDataExportTask").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamQuotaExhaustedError);
  expect(error).toMatchObject({ code: "UPSTREAM_QUOTA_EXHAUSTED", outcome: "quota", action: "CreateUserUsageDataExportTask" });
  expect((error as Error).message).toMatch(/^CreateUserUsageDataExportTask: gateway quota exhausted/);
}

describe("memory quota", () => {
  it("lets ratePerSecond calls through per second and makes the rest wait for the next window", async () => {
    const waits: number[] = [];
    const quota = createMemoryQuota({ ratePerSecond: 5, maxWaitMs: 3000 });
    const times = await acquireTimes(quota, 10, { onQuotaWait: (e) => waits.push(e.waitedMs) });
    // Lower bounds only: the sixth call cannot start before the first one-second window ends.
    expect(times[5]).toBeGreaterThanOrEqual(950);
    expect(waits.length).toBe(5);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(900);
  });

  it("fails fast with UpstreamQuotaExhaustedError when the next slot is beyond maxWaitMs", async () => {
    const quota = createMemoryQuota({ ratePerSecond: 2, maxWaitMs: 100 });
    await quota.acquire("a");
    await quota.acquire("a");
    await expectExhausted(quota);
  });

  it("refuses a rate that is not a positive integer", () => {
    expect(() => createMemoryQuota({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => createMemoryQuota({ ratePerSecond: 1.5 })).toThrow(RangeError);
  });
});

describe("Redis quota (127.0.0.1:6379)", () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const uniquePrefix = (): string => {
    const prefix = `test:cdn-quota:${randomUUID()}`;
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(async () => {
    redis = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: 1 });
    // Until the client is ready the quota uses its per-process fallback: start connected.
    await redis.ping();
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("shares one rate across replicas with the same prefix", async () => {
    const keyPrefix = uniquePrefix();
    const replicaA = createRedisQuota({ redis, keyPrefix, ratePerSecond: 3, maxWaitMs: 100 });
    const replicaB = createRedisQuota({ redis, keyPrefix, ratePerSecond: 3, maxWaitMs: 100 });
    await replicaA.acquire("a");
    await replicaA.acquire("a");
    await replicaB.acquire("b");
    await expectExhausted(replicaB);
    await expectExhausted(replicaA);
    // Another prefix is another deployment.
    await createRedisQuota({ redis, keyPrefix: uniquePrefix(), ratePerSecond: 3, maxWaitMs: 100 }).acquire("c");
    expect(await redis.keys(`${keyPrefix}*`)).toHaveLength(1);
  });

  it("makes calls over the rate wait for the next window", async () => {
    const quota = createRedisQuota({ redis, keyPrefix: uniquePrefix(), ratePerSecond: 4, maxWaitMs: 3000 });
    const times = await acquireTimes(quota, 8);
    expect(times[4]).toBeGreaterThanOrEqual(950);
  });

  it("falls back to a per-process limit when Redis is not reachable", async () => {
    const offline = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, enableOfflineQueue: false });
    try {
      const quota = createRedisQuota({ redis: offline, keyPrefix: uniquePrefix(), ratePerSecond: 2, maxWaitMs: 50 });
      await quota.acquire("a");
      await quota.acquire("a");
      await expectExhausted(quota);
    } finally {
      offline.disconnect();
    }
  });
});

describe("quota in the client", () => {
  let server: UpstreamTestServer;
  beforeAll(async () => {
    server = await startUpstreamTestServer({ credentials: [AK], handler: () => json(pageBody([])) });
  });
  afterAll(async () => {
    await server.close();
  });

  it("stops calls over the quota before they reach the upstream, and reports them", async () => {
    const outcomes: string[] = [];
    const client = clientFor(server, {
      quota: createMemoryQuota({ ratePerSecond: 2, maxWaitMs: 50 }),
      observer: { onCall: (e) => outcomes.push(e.outcome) },
    });
    const from = server.hits.length;
    try {
      const results = await Promise.allSettled([1, 2, 3].map((n) => client.describeTasks("USAGE_DETAIL", { pageNumber: n, pageSize: 50 })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      const failed = results.find((r) => r.status === "rejected");
      expect(failed?.reason).toBeInstanceOf(UpstreamQuotaExhaustedError);
    } finally {
      await client.close();
    }
    expect(server.hits.length - from).toBe(2);
    expect(outcomes.sort()).toEqual(["ok", "ok", "quota"]);
  });

  it("spends quota on every retry attempt", async () => {
    server.handler = () => upstreamError("InternalError", "oops", 500);
    const client = clientFor(server, { quota: createMemoryQuota({ ratePerSecond: 2, maxWaitMs: 50 }), maxAttempts: 3 });
    const from = server.hits.length;
    try {
      await expect(client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 })).rejects.toBeInstanceOf(
        UpstreamQuotaExhaustedError,
      );
    } finally {
      await client.close();
    }
    expect(server.hits.length - from).toBe(2);
  });
});
