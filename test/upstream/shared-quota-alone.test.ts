/**
 * The shared quota when it loses its store: this replica's share (the rate divided by the
 * replicas it last saw alive), a quiet stretch first, its own calls in flight still counted, and
 * on coming back every permit it holds written into the store before it takes another: what a
 * new Sentinel primary that lost the old one's last writes needs. Against the real Redis
 * (through a TCP proxy that can cut it) and against scripted stores.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PermitStore, Presence } from "../../src/upstream/quota/permit-store.js";
import { permitStoreKeys, RedisPermitStore } from "../../src/state/quota/redis-permit-store.js";
import { UpstreamQuotaExhaustedError } from "../../src/upstream/errors.js";
import { createSharedQuota } from "../../src/upstream/quota/index.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const hasRedis = await redisReachable();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A store that works, reports `replicas` alive, and can be switched off. */
function switchableStore(replicas: number): { store: PermitStore; up: boolean; presences: Presence[] } {
  const state = { up: true, presences: [] as Presence[], store: null as unknown as PermitStore };
  const guard = <T>(value: T): Promise<T> => (state.up ? Promise.resolve(value) : Promise.reject(new Error("connection is closed")));
  state.store = {
    take: (_id, _terms, _queued, presence) => {
      state.presences.push(presence);
      return guard({ taken: true, replicas });
    },
    give: () => guard(undefined),
    heartbeat: (presence) => {
      state.presences.push(presence);
      return guard(replicas);
    },
    rejoin: () => guard(replicas),
    leave: () => guard(undefined),
  };
  return state;
}

describe("shared quota alone (scripted store)", () => {
  it("tells the store its share, and keeps to it alone after a quiet stretch", async () => {
    const switchable = switchableStore(3);
    const quota = createSharedQuota({ store: switchable.store, ratePerSecond: 30, maxWaitMs: 5_000, staleMs: 50, storeDeadlineMs: 50, heartbeatMs: 60_000 });
    (await quota.acquire("a")).release(); // sees 3 replicas: its share is 10
    (await quota.acquire("a")).release();
    expect(switchable.presences.at(-1)?.share).toBe(10);

    switchable.up = false;
    const lostAt = performance.now();
    const grants: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const permit = await quota.acquire("a");
        grants.push(performance.now() - lostAt);
        permit.release();
      }),
    );
    // Nothing before deadline + stale + one window; then its 10, and the other 2 a window later.
    expect(grants).toHaveLength(12);
    expect(Math.min(...grants)).toBeGreaterThanOrEqual(1_100 - 5);
    const sorted = [...grants].sort((a, b) => a - b);
    // Never more than its 10 in any second (every 11 consecutive grants span a full second)...
    for (let i = 10; i < sorted.length; i += 1) expect((sorted[i] ?? 0) - (sorted[i - 10] ?? 0)).toBeGreaterThanOrEqual(1_000 - 5);
    // ...and the whole share used: the 10th comes within that second (plus timer lag on a busy machine).
    expect((sorted[9] ?? Infinity) - (sorted[0] ?? 0)).toBeLessThan(1_000 + 250);
    await quota.close?.();
  });

  it("counts its own calls still in flight against its share when it goes alone", async () => {
    const switchable = switchableStore(2);
    const quota = createSharedQuota({ store: switchable.store, ratePerSecond: 4, maxWaitMs: 200, staleMs: 10, storeDeadlineMs: 10, heartbeatMs: 60_000 });
    const inFlight = await quota.acquire("a"); // through the store; share 2
    (await quota.acquire("a")).release();
    switchable.up = false;
    await expect(quota.acquire("a")).rejects.toBeInstanceOf(UpstreamQuotaExhaustedError); // quiet stretch
    await sleep(1_100);
    // Share 2, one of them still held by the call that went through the store.
    const alone = await quota.acquire("a");
    await expect(quota.acquire("a")).rejects.toBeInstanceOf(UpstreamQuotaExhaustedError);
    inFlight.release();
    alone.release();
    await quota.close?.();
  });
});

describe.skipIf(!hasRedis)("shared quota losing and rejoining the real Redis", () => {
  let admin: Redis;
  let proxy: TcpProxy;
  let client: Redis;
  const prefix = uniquePrefix("quota-rejoin");

  beforeAll(async () => {
    admin = new Redis(TEST_REDIS_URL);
    const target = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    client = new Redis(`redis://127.0.0.1:${proxy.port}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 20 });
    client.on("error", () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    client.disconnect();
    await proxy.close();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });

  it("writes its permits into a store that lost them (a new primary) before taking more", async () => {
    const keys = permitStoreKeys(prefix);
    const quota = createSharedQuota({ store: new RedisPermitStore({ redis: client, keyPrefix: prefix }), ratePerSecond: 10, maxWaitMs: 5_000, heartbeatMs: 20, staleMs: 100, storeDeadlineMs: 100 });
    const held = [await quota.acquire("a"), await quota.acquire("a"), await quota.acquire("a")];
    const ended = await quota.acquire("a");
    ended.release();
    expect(await admin.zcard(keys.permits)).toBe(4);

    await proxy.stop(); // the primary dies...
    await sleep(100);
    await admin.del(keys.permits); // ...and its successor never received these permits
    await proxy.start();
    // Back within a heartbeat or two: the three calls in flight are in flight there again, the
    // one that ended counts for the rest of its window.
    const deadline = performance.now() + 3_000;
    while ((await admin.zcard(keys.permits)) < 4 && performance.now() < deadline) await sleep(10);
    const scores = await admin.zrange(keys.permits, 0, -1, "WITHSCORES");
    const [seconds, micros] = await admin.time();
    const now = Number(seconds) * 1000 + Number(micros) / 1000;
    const byScore = [];
    for (let i = 0; i < scores.length; i += 2) byScore.push(Number(scores[i + 1]) - now);
    byScore.sort((a, b) => a - b);
    expect(byScore).toHaveLength(4);
    expect(byScore[0]).toBeLessThan(1_000); // the ended one: at most a window left
    for (const left of byScore.slice(1)) expect(left).toBeGreaterThan(100_000); // in flight: maxCall ahead
    expect(await admin.hexists(keys.replicas, await onlyReplica(admin, keys.replicas))).toBe(1);

    // Released after the comeback: given back to the store as usual.
    for (const permit of held) permit.release();
    await sleep(50);
    const after = await admin.zrange(keys.permits, 0, -1, "WITHSCORES");
    for (let i = 1; i < after.length; i += 2) expect(Number(after[i]) - now).toBeLessThan(2_000);
    await quota.close?.();
    expect(await admin.hlen(keys.replicas)).toBe(0); // it said goodbye
  });
});

async function onlyReplica(admin: Redis, key: string): Promise<string> {
  const ids = await admin.hkeys(key);
  expect(ids).toHaveLength(1);
  return ids[0] ?? "";
}
