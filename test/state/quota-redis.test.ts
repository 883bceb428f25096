/**
 * The Redis permit store on the real Redis (127.0.0.1:6379, or TEST_REDIS_URL). The scripts
 * are driven on a simulated clock (passed to Redis instead of its TIME), so replicas' calls can
 * be played out exactly. The quota composed over this store is tested in
 * test/upstream/shared-quota.test.ts.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PermitTerms, Presence } from "../../src/upstream/quota/permit-store.js";
import { permitStoreKeys, RedisPermitStore } from "../../src/state/quota/redis-permit-store.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { busiestWindow, gapsBetweenStarts, type CallSpan } from "../upstream/quota-windows.js";

const hasRedis = await redisReachable();

/** 10 calls per second: slots of 100 ms, and an idle burst of all 10 (9 slots ahead of the schedule). */
const TEN_PER_SECOND: PermitTerms = { limit: 10, windowMs: 1000, slotMs: 100, burstToleranceMs: 900, maxCallMs: 60_000 };
/** Presence that never goes stale on the simulated clock: these cases are about the permits alone. */
const present = (replicaId: string): Presence => ({ replicaId, share: 1, staleMs: 1e12, forgetMs: 1e12 });

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
      const outcome = await replicas[caller.replica]!.take(caller.id, terms, caller.queued, present(`r${caller.replica}`));
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
    expect(await a.take("a:1", terms, false, present("a"))).toEqual({ taken: true, replicas: 1 });
    expect(await a.take("a:2", terms, false, present("a"))).toEqual({ taken: true, replicas: 1 });
    expect(await b.take("b:1", terms, false, present("b"))).toEqual({ taken: true, replicas: 2 });
    // All three permits in flight: the earliest any could free is one window after it ends, if it ended now.
    expect(await b.take("b:2", terms, false, present("b"))).toEqual({ taken: false, retryInMs: 1000, replicas: 2 });
    expect(await new RedisPermitStore({ redis, keyPrefix: newPrefix(), now: () => now }).take("c:1", terms, false, present("c"))).toEqual({ taken: true, replicas: 1 });
    const keys = permitStoreKeys(keyPrefix);
    expect(keys.permits).toBe(`{${keyPrefix}}:permits`); // one hash tag: one Cluster slot for every key of the scripts
    expect(await redis.zcard(keys.permits)).toBe(3);
    expect(await redis.pttl(keys.permits)).toBeGreaterThan(0);

    // A call given back still counts for one window after it is over.
    now += 200;
    await a.give("a:1", terms);
    expect(await b.take("b:3", terms, false, present("b"))).toEqual({ taken: false, retryInMs: 1000, replicas: 2 });
    now += 1000;
    expect(await b.take("b:4", terms, false, present("b"))).toEqual({ taken: true, replicas: 2 });
  });

  it("stops counting a permit never given back after maxCallMs (its replica crashed) plus a window", async () => {
    const terms: PermitTerms = { limit: 1, windowMs: 1000, slotMs: 1000, burstToleranceMs: 0, maxCallMs: 5_000 };
    const keyPrefix = newPrefix();
    let now = 0;
    const store = new RedisPermitStore({ redis, keyPrefix, now: () => now });
    expect(await store.take("crashed", terms, false, present("a"))).toEqual({ taken: true, replicas: 1 });
    now = 5_999;
    expect((await store.take("next", terms, false, present("a"))).taken).toBe(false);
    now = 6_000;
    expect(await store.take("next", terms, false, present("a"))).toEqual({ taken: true, replicas: 1 });
  });

  it("uses the Redis server's clock when given none", async () => {
    const store = new RedisPermitStore({ redis, keyPrefix: newPrefix() });
    const terms: PermitTerms = { ...TEN_PER_SECOND, limit: 1 };
    expect(await store.take("first", terms, false, present("a"))).toEqual({ taken: true, replicas: 1 });
    const refused = await store.take("second", terms, false, present("a"));
    if (refused.taken) throw new Error("expected the second call to wait");
    expect(refused.retryInMs).toBeGreaterThan(900);
  });

  it("fails with a plain error when Redis cannot be reached (the quota above decides what that means)", async () => {
    const offline = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    try {
      const store = new RedisPermitStore({ redis: offline, keyPrefix: newPrefix() });
      await expect(store.take("a", TEN_PER_SECOND, false, present("a"))).rejects.toBeInstanceOf(Error);
      await expect(store.give("a", TEN_PER_SECOND)).rejects.toBeInstanceOf(Error);
      await expect(store.heartbeat(present("a"))).rejects.toBeInstanceOf(Error);
      await expect(store.rejoin(present("a"), [], TEN_PER_SECOND)).rejects.toBeInstanceOf(Error);
    } finally {
      offline.disconnect();
    }
  });

  it("keeps the share of a replica that fell silent free for it, until it is forgotten", async () => {
    const terms: PermitTerms = { limit: 9, windowMs: 1000, slotMs: 1, burstToleranceMs: 1000, maxCallMs: 60_000 };
    const keyPrefix = newPrefix();
    let now = 0;
    const store = new RedisPermitStore({ redis, keyPrefix, now: () => now });
    const presence = (replicaId: string, share: number): Presence => ({ replicaId, share, staleMs: 400, forgetMs: 5_000 });
    // Three replicas seen alive, each would keep to 3 calls/s alone.
    expect(await store.heartbeat(presence("a", 3))).toBe(1);
    expect(await store.heartbeat(presence("b", 3))).toBe(2);
    expect(await store.heartbeat(presence("c", 3))).toBe(3);
    // c falls silent (cut off from Redis, running alone on its 3): a and b share the other 6.
    now = 401;
    await store.heartbeat(presence("a", 3));
    let taken = 0;
    for (let i = 0; i < 9; i += 1) if ((await store.take(`b:${i}`, terms, false, presence("b", 3))).taken) taken += 1;
    expect(taken).toBe(6);
    const refused = await store.take("b:late", terms, false, presence("b", 3));
    expect(refused).toMatchObject({ taken: false, replicas: 3 });
    // c comes back: its share is no longer kept aside (the permits still count, so the store waits for them).
    await store.heartbeat(presence("c", 3));
    expect(await redis.hlen(permitStoreKeys(keyPrefix).replicas)).toBe(3);
    // c silent past forgetMs: forgotten, its share free again, the replicas alive are two.
    now = 3_000;
    await store.heartbeat(presence("a", 3));
    await store.heartbeat(presence("b", 3));
    now = 5_402;
    expect(await store.heartbeat(presence("a", 3))).toBe(2);
    expect(await redis.hexists(permitStoreKeys(keyPrefix).replicas, "c")).toBe(0);
    // A replica that stops says so: the others stop keeping anything for it at once.
    await store.leave("a");
    expect(await redis.hexists(permitStoreKeys(keyPrefix).replicas, "a")).toBe(0);
  });

  it("writes a returning replica's permits back as they are now: in flight, still counting, or over", async () => {
    const terms: PermitTerms = { limit: 10, windowMs: 1000, slotMs: 1, burstToleranceMs: 1000, maxCallMs: 60_000 };
    const keyPrefix = newPrefix();
    const { permits } = permitStoreKeys(keyPrefix);
    let now = 1_000;
    const store = new RedisPermitStore({ redis, keyPrefix, now: () => now });
    await store.take("a:gone", terms, false, present("a")); // taken, answer lost, then over
    await redis.del(permits); // a new primary that never received the others
    now = 2_000;
    const alive = await store.rejoin(present("a"), [
      { callId: "a:flight", remainingMs: null },
      { callId: "a:ending", remainingMs: 250 },
      { callId: "a:gone", remainingMs: 0 },
    ], terms);
    expect(alive).toBe(1);
    expect(await redis.zscore(permits, "a:flight")).toBe(String(2_000 + 60_000 + 1_000));
    expect(await redis.zscore(permits, "a:ending")).toBe("2250");
    expect(await redis.zscore(permits, "a:gone")).toBeNull();
    expect(await redis.pttl(permits)).toBeGreaterThan(60_000);
  });
});
