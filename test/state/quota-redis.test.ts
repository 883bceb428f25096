/**
 * The Redis permit store on the real Redis (127.0.0.1:6379, or TEST_REDIS_URL). The scripts
 * are driven on a simulated clock (passed to Redis instead of its TIME), so replicas' calls can
 * be played out exactly. The quota composed over this store is tested in
 * test/upstream/shared-quota.test.ts.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PermitTerms } from "../../src/state/quota/permit-store.js";
import { RedisPermitStore } from "../../src/state/quota/redis-permit-store.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { busiestWindow, gapsBetweenStarts, type CallSpan } from "../upstream/quota-windows.js";

const hasRedis = await redisReachable();

/** 10 calls per second: slots of 100 ms, and an idle burst of all 10 (9 slots ahead of the schedule). */
const TEN_PER_SECOND: PermitTerms = { limit: 10, windowMs: 1000, slotMs: 100, burstToleranceMs: 900, maxCallMs: 60_000 };

describe.skipIf(!hasRedis)("Redis permit store", () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const newPrefix = (): string => {
    const prefix = uniquePrefix("quota");
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.ping();
  });
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("two replicas sharing a prefix never let more than the rate meet any one-second window", async () => {
    const terms = TEN_PER_SECOND;
    const keyPrefix = newPrefix();
    let now = 0;
    const replicas = ["a", "b"].map(() => new RedisPermitStore({ redis, keyPrefix, now: () => now }));
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
        await replicas[ended.replica]!.give(ended.id, terms);
        spans.push({ start: ended.start, end: ended.end });
        continue;
      }
      const caller = waiting.find((candidate) => candidate.at === nextAsk)!;
      const outcome = await replicas[caller.replica]!.take(caller.id, terms, caller.queued);
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
    expect(busiestWindow(spans)).toBe(terms.limit);
    // After the first burst, waiters of both replicas together go at least a slot (100 ms) apart.
    expect(Math.min(...gapsBetweenStarts(spans).slice(terms.limit))).toBeGreaterThanOrEqual(98);
  });

  it("shares one set of permits across stores with the same prefix, and not with other prefixes", async () => {
    const terms: PermitTerms = { ...TEN_PER_SECOND, limit: 3, burstToleranceMs: 2 * 333.334, slotMs: 333.334 };
    const keyPrefix = newPrefix();
    let now = 10_000;
    const a = new RedisPermitStore({ redis, keyPrefix, now: () => now });
    const b = new RedisPermitStore({ redis, keyPrefix, now: () => now });
    expect(await a.take("a:1", terms, false)).toEqual({ taken: true });
    expect(await a.take("a:2", terms, false)).toEqual({ taken: true });
    expect(await b.take("b:1", terms, false)).toEqual({ taken: true });
    // All three permits in flight: the earliest any could free is one window after it ends, if it ended now.
    expect(await b.take("b:2", terms, false)).toEqual({ taken: false, retryInMs: 1000 });
    expect(await new RedisPermitStore({ redis, keyPrefix: newPrefix(), now: () => now }).take("c:1", terms, false)).toEqual({ taken: true });
    expect(await redis.zcard(`${keyPrefix}:permits`)).toBe(3);
    expect(await redis.pttl(`${keyPrefix}:permits`)).toBeGreaterThan(0);

    // A call given back still counts for one window after it is over.
    now += 200;
    await a.give("a:1", terms);
    expect(await b.take("b:3", terms, false)).toEqual({ taken: false, retryInMs: 1000 });
    now += 1000;
    expect(await b.take("b:4", terms, false)).toEqual({ taken: true });
  });

  it("stops counting a permit never given back after maxCallMs (its replica crashed) plus a window", async () => {
    const terms: PermitTerms = { limit: 1, windowMs: 1000, slotMs: 1000, burstToleranceMs: 0, maxCallMs: 5_000 };
    const keyPrefix = newPrefix();
    let now = 0;
    const store = new RedisPermitStore({ redis, keyPrefix, now: () => now });
    expect(await store.take("crashed", terms, false)).toEqual({ taken: true });
    now = 5_999;
    expect((await store.take("next", terms, false)).taken).toBe(false);
    now = 6_000;
    expect(await store.take("next", terms, false)).toEqual({ taken: true });
  });

  it("uses the Redis server's clock when given none", async () => {
    const store = new RedisPermitStore({ redis, keyPrefix: newPrefix() });
    const terms: PermitTerms = { ...TEN_PER_SECOND, limit: 1 };
    expect(await store.take("first", terms, false)).toEqual({ taken: true });
    const refused = await store.take("second", terms, false);
    if (refused.taken) throw new Error("expected the second call to wait");
    expect(refused.retryInMs).toBeGreaterThan(900);
  });

  it("fails with a plain error when Redis cannot be reached (the quota above decides what that means)", async () => {
    const offline = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    try {
      const store = new RedisPermitStore({ redis: offline, keyPrefix: newPrefix() });
      await expect(store.take("a", TEN_PER_SECOND, false)).rejects.toBeInstanceOf(Error);
      await expect(store.give("a", TEN_PER_SECOND)).rejects.toBeInstanceOf(Error);
    } finally {
      offline.disconnect();
    }
  });
});
