/**
 * The quota shared through the real Redis (127.0.0.1:6379, or TEST_REDIS_URL). The scripts are
 * driven on a simulated clock (passed to Redis instead of its TIME), so replicas' calls can be
 * played out exactly; the quota around them is checked on outcomes that do not depend on timing.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { UpstreamQuotaExhaustedError } from "../../src/upstream/errors.js";
import { createRedisQuota, type UpstreamQuota } from "../../src/upstream/quota.js";
import { RedisPermitStore } from "../../src/state/quota/redis-scripts.js";
import { pacingParams } from "../../src/upstream/quota/schedule.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { busiestWindow, gapsBetweenStarts, type CallSpan } from "../upstream/quota-windows.js";

const hasRedis = await redisReachable();

async function expectExhausted(quota: UpstreamQuota): Promise<void> {
  const error = await quota.acquire("CreateUserUsageDataExportTask").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamQuotaExhaustedError);
  expect(error).toMatchObject({ code: "UPSTREAM_QUOTA_EXHAUSTED", action: "CreateUserUsageDataExportTask" });
}

describe.skipIf(!hasRedis)("Redis quota", () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const newPrefix = (): string => {
    const prefix = uniquePrefix("quota");
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.ping(); // connected: until then the quota would use its per-process fallback
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("two replicas sharing a prefix never let more than the rate meet any one-second window", async () => {
    const rate = 10;
    const keyPrefix = newPrefix();
    let now = 0;
    const replicas = ["a", "b"].map(
      () => new RedisPermitStore({ redis, keyPrefix, limit: rate, windowMs: 1000, ...pacingParams(rate), maxCallMs: 60_000, now: () => now }),
    );
    // 40 callers per replica, all asking at t=0; each call takes its own time once started.
    const latencies = [0, 40, 250, 5, 120, 600, 1500, 10];
    interface Caller {
      replica: number;
      id: string;
      at: number;
      queued: boolean;
      start?: number;
    }
    const waiting: Caller[] = Array.from({ length: 80 }, (_, i) => ({ replica: i % 2, id: `call-${i}`, at: 0, queued: false }));
    const running: (Caller & { start: number; end: number })[] = [];
    const spans: CallSpan[] = [];
    while (waiting.length > 0 || running.length > 0) {
      // Next event: a running call ending, or a waiting caller asking again.
      const nextEnd = Math.min(...running.map((call) => call.end));
      const nextAsk = Math.min(...waiting.map((caller) => caller.at));
      now = Math.min(nextEnd, nextAsk);
      if (nextEnd <= nextAsk) {
        const ended = running.splice(running.findIndex((call) => call.end === nextEnd), 1)[0]!;
        await replicas[ended.replica]!.give(ended.id);
        spans.push({ start: ended.start, end: ended.end });
        continue;
      }
      const caller = waiting.find((candidate) => candidate.at === nextAsk)!;
      const outcome = await replicas[caller.replica]!.take(caller.id, caller.queued);
      if (outcome.taken) {
        waiting.splice(waiting.indexOf(caller), 1);
        running.push({ ...caller, start: now, end: now + (latencies[spans.length % latencies.length] ?? 0) });
      } else {
        expect(outcome.retryInMs).toBeGreaterThan(0);
        caller.at = now + outcome.retryInMs;
        caller.queued = true;
      }
    }
    expect(spans).toHaveLength(80);
    expect(busiestWindow(spans)).toBe(rate);
    // After the first burst, waiters of both replicas together go at least a slot (100 ms) apart.
    expect(Math.min(...gapsBetweenStarts(spans).slice(rate))).toBeGreaterThanOrEqual(98);
  });

  it("shares one set of permits across replicas with the same prefix, and not with other prefixes", async () => {
    const keyPrefix = newPrefix();
    const replicaA = createRedisQuota({ redis, keyPrefix, ratePerSecond: 3, maxWaitMs: 100 });
    const replicaB = createRedisQuota({ redis, keyPrefix, ratePerSecond: 3, maxWaitMs: 100 });
    await replicaA.acquire("a");
    await replicaA.acquire("a");
    await replicaB.acquire("b");
    await expectExhausted(replicaB);
    await expectExhausted(replicaA);
    await createRedisQuota({ redis, keyPrefix: newPrefix(), ratePerSecond: 3, maxWaitMs: 100 }).acquire("c");
    expect(await redis.zcard(`${keyPrefix}:permits`)).toBe(3);
    expect(await redis.pttl(`${keyPrefix}:permits`)).toBeGreaterThan(0);
  });

  it("still counts a call for a window after it is over", async () => {
    const quota = createRedisQuota({ redis, keyPrefix: newPrefix(), ratePerSecond: 2, maxWaitMs: 100 });
    const permits = [await quota.acquire("a"), await quota.acquire("a")];
    for (const permit of permits) permit.release();
    await expectExhausted(quota);
  });

  it("lets a waiter leave on abort, with its signal's reason", async () => {
    const quota = createRedisQuota({ redis, keyPrefix: newPrefix(), ratePerSecond: 1, maxWaitMs: 5_000 });
    await quota.acquire("a");
    const controller = new AbortController();
    const waiting = quota.acquire("a", { signal: controller.signal });
    const reason = new Error("client went away");
    setTimeout(() => controller.abort(reason), 20);
    await expect(waiting).rejects.toBe(reason);
  });

  it("falls back to a per-process limit when Redis is not reachable, without stopping calls", async () => {
    const offline = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    try {
      const quota = createRedisQuota({ redis: offline, keyPrefix: newPrefix(), ratePerSecond: 2, maxWaitMs: 50 });
      const permit = await quota.acquire("a");
      await quota.acquire("a");
      await expectExhausted(quota);
      permit.release(); // given back to the fallback, not to Redis
    } finally {
      offline.disconnect();
    }
  });
});
