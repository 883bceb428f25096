/**
 * The shared byte store with locks (state/export-store.ts) on a real Redis: bytes in, the same
 * bytes out, with a TTL; one lock holder at a time, only the holder extends or releases it; a
 * name's keys share one hash slot.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisExportStore, type ExportStore } from "../../src/state/export-store.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";

const hasRedis = await redisReachable();

describe.skipIf(!hasRedis)("Redis export store", () => {
  const prefix = uniquePrefix("export-store");
  let redis: Redis;
  let store: ExportStore;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
    store = createRedisExportStore({ redis, keyPrefix: prefix });
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it("stores bytes (all 256 values, from a view into a larger buffer) for their TTL", async () => {
    const host = Buffer.alloc(300);
    for (let i = 0; i < 256; i++) host[i + 7] = i;
    await store.put("USAGE_DETAIL:1", host.subarray(7, 263), 60_000);
    const back = await store.get("USAGE_DETAIL:1");
    expect(back).toEqual(host.subarray(7, 263));
    expect(await store.get("USAGE_DETAIL:2")).toBeNull();
    await store.put("short", Buffer.from("x"), 50);
    await sleep(120);
    expect(await store.get("short")).toBeNull();
  });

  it("one holder at a time; only the holder extends or releases; an expired lock can be taken", async () => {
    const first = await store.lock("USAGE_DETAIL:9", 200);
    expect(first).not.toBeNull();
    expect(await store.lock("USAGE_DETAIL:9", 200)).toBeNull();
    expect(await first!.extend(400)).toBe(true);
    await sleep(250);
    expect(await store.lock("USAGE_DETAIL:9", 200)).toBeNull(); // extended past its first 200 ms
    await first!.release();
    const second = await store.lock("USAGE_DETAIL:9", 100);
    expect(second).not.toBeNull();
    // A released holder cannot touch the next holder's lock.
    await first!.release();
    expect(await first!.extend(10_000)).toBe(false);
    expect(await store.lock("USAGE_DETAIL:9", 100)).toBeNull();
    await sleep(150);
    // Run out: taken by the next one; the old holder has lost it.
    const third = await store.lock("USAGE_DETAIL:9", 1_000);
    expect(third).not.toBeNull();
    expect(await second!.extend(1_000)).toBe(false);
    await third!.release();
  });

  it("a name's data and lock keys carry one hash tag (one Cluster slot), and the name does not shape them", async () => {
    const name = "USAGE_DETAIL:{odd}:name";
    await store.put(name, Buffer.from("v"), 60_000);
    const lock = await store.lock(name, 60_000);
    const before = new Set(await redis.keys(`${prefix}*`));
    await store.put("another", Buffer.from("w"), 60_000);
    const keys = [...before].filter((key) => !key.includes("{odd}"));
    expect(keys.every((key) => !key.includes("odd"))).toBe(true);
    const tagOf = (key: string): string => /\{([^}]*)\}/.exec(key)?.[1] ?? "";
    const data = keys.filter((key) => key.endsWith(":data"));
    const locks = keys.filter((key) => key.endsWith(":lock"));
    expect(locks).toHaveLength(1);
    expect(data.map(tagOf)).toContain(tagOf(locks[0]!));
    expect(tagOf(locks[0]!)).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await lock?.release();
  });
});
