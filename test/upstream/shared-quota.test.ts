/**
 * The quota replicas share through a permit store: over the real Redis store (127.0.0.1:6379,
 * or TEST_REDIS_URL), checked on outcomes that do not depend on timing, and over stores that
 * fail, to show the fallback to this process's own rules.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PermitStore, PermitTerms, TakeResult } from "../../src/upstream/quota/permit-store.js";
import { permitStoreKeys, RedisPermitStore } from "../../src/state/quota/redis-permit-store.js";
import { UpstreamQuotaExhaustedError } from "../../src/upstream/errors.js";
import { createQuota, createSharedQuota, type UpstreamQuota } from "../../src/upstream/quota/index.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";

const hasRedis = await redisReachable();

async function expectExhausted(quota: UpstreamQuota): Promise<void> {
  const error = await quota.acquire("CreateUserUsageDataExportTask").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamQuotaExhaustedError);
  expect(error).toMatchObject({ code: "UPSTREAM_QUOTA_EXHAUSTED", action: "CreateUserUsageDataExportTask" });
}

describe.skipIf(!hasRedis)("shared quota on the Redis store", () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const newPrefix = (): string => {
    const prefix = uniquePrefix("quota");
    prefixes.push(prefix);
    return prefix;
  };
  const onRedis = (keyPrefix: string, ratePerSecond: number, maxWaitMs: number): UpstreamQuota =>
    createSharedQuota({ store: new RedisPermitStore({ redis, keyPrefix }), ratePerSecond, maxWaitMs });

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

  it("shares one set of permits across replicas with the same prefix, and not with other prefixes", async () => {
    const keyPrefix = newPrefix();
    const replicaA = onRedis(keyPrefix, 3, 100);
    const replicaB = onRedis(keyPrefix, 3, 100);
    await replicaA.acquire("a");
    await replicaA.acquire("a");
    await replicaB.acquire("b");
    await expectExhausted(replicaB);
    await expectExhausted(replicaA);
    await onRedis(newPrefix(), 3, 100).acquire("c");
    expect(await redis.zcard(permitStoreKeys(keyPrefix).permits)).toBe(3);
    expect(await redis.pttl(permitStoreKeys(keyPrefix).permits)).toBeGreaterThan(0);
  });

  it("still counts a call for a window after it is over", async () => {
    const quota = onRedis(newPrefix(), 2, 100);
    const permits = [await quota.acquire("a"), await quota.acquire("a")];
    for (const permit of permits) permit.release();
    await expectExhausted(quota);
  });

  it("lets a waiter leave on abort, with its signal's reason", async () => {
    const quota = onRedis(newPrefix(), 1, 5_000);
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
      const quota = createSharedQuota({ store: new RedisPermitStore({ redis: offline, keyPrefix: newPrefix() }), ratePerSecond: 2, maxWaitMs: 50 });
      const permit = await quota.acquire("a");
      await quota.acquire("a");
      await expectExhausted(quota);
      permit.release(); // given back to the fallback, not to Redis
    } finally {
      offline.disconnect();
    }
  });
});

/** A store that answers `take` as told and everything else as it would when healthy (one replica). */
function storeAnswering(take: PermitStore["take"]): PermitStore {
  return {
    take,
    give: () => Promise.resolve(),
    heartbeat: () => Promise.resolve(1),
    rejoin: () => Promise.resolve(1),
    leave: () => Promise.resolve(),
  };
}

describe("shared quota over a store that fails", () => {
  const closed = (): Promise<never> => Promise.reject(new Error("connection is closed"));
  const down: PermitStore = { take: closed, give: closed, heartbeat: closed, rejoin: closed, leave: closed };

  it("keeps the local rules while the store is down: the rate, then UpstreamQuotaExhaustedError", async () => {
    const quota = createSharedQuota({ store: down, ratePerSecond: 2, maxWaitMs: 50 });
    const permits = [await quota.acquire("a"), await quota.acquire("a")];
    await expectExhausted(quota);
    for (const permit of permits) permit.release();
  });

  it("moves waiters to the local rules when the store fails while they wait", async () => {
    let answers = 0;
    const failsAfterOneRefusal: PermitStore = {
      ...down,
      take: () => {
        answers += 1;
        return answers === 1 ? Promise.resolve({ taken: false, retryInMs: 10, replicas: 1 }) : closed();
      },
    };
    // It had reached the store: alone, it first waits out the permits granted there (quiet stretch).
    const quota = createSharedQuota({ store: failsAfterOneRefusal, ratePerSecond: 5, maxWaitMs: 3_000, heartbeatMs: 60_000 });
    const permit = await quota.acquire("a");
    permit.release();
    expect(answers).toBe(2);
    await quota.close?.();
  });

  it("turns a store's long wait into UpstreamQuotaExhaustedError at once (CDN_QUOTA_WAIT_MS)", async () => {
    const busy = storeAnswering(() => Promise.resolve({ taken: false, retryInMs: 900, replicas: 1 }));
    const started = performance.now();
    await expectExhausted(createSharedQuota({ store: busy, ratePerSecond: 5, maxWaitMs: 500 }));
    expect(performance.now() - started).toBeLessThan(400);
  });

  it("passes the terms of CDN_RATE_LIMIT to the store: the rate, a one-second window, slots of 1 s / rate", async () => {
    const seen: PermitTerms[] = [];
    const recording = storeAnswering((_callId, terms): Promise<TakeResult> => {
      seen.push(terms);
      return Promise.resolve({ taken: true, replicas: 1 });
    });
    (await createQuota({ store: recording, ratePerSecond: 90 }).acquire("a")).release();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ limit: 90, windowMs: 1000, slotMs: 1000 / 90, maxCallMs: 125_000 });
    // An idle burst of 15 (a sixth of 90) may go at once: 14 slots ahead of the schedule.
    expect(seen[0]?.burstToleranceMs).toBeCloseTo(14 * (1000 / 90), 3);
  });
});
