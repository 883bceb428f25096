/**
 * Reads shared by replicas through a real Redis (a private redis-server, so it can be paused
 * and stopped): one replica reads, the others wait for its value; values count only in their
 * generation; every Redis step is bounded, and a slow or absent Redis costs nothing but itself.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSharedReads, type SharedReadCodec, type SharedReads } from "../../src/state/shared-reads.js";
import { uniquePrefix } from "../helpers/redis.js";
import { redisServerAvailable, startRedisServer, type RedisProcess } from "../helpers/redis-servers.js";

const available = redisServerAvailable();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TEXT: SharedReadCodec<string> = { encode: (value) => value, decode: (text) => (text.startsWith("page") ? text : null) };

describe.skipIf(!available)("shared reads on a real Redis", () => {
  let server: RedisProcess & { dispose(): Promise<void> };
  const clients: Redis[] = [];
  const client = (): Redis => {
    const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on("error", () => undefined);
    clients.push(redis);
    return redis;
  };
  /** `n` replicas: each its own connection, sharing one prefix. */
  const replicas = async (n: number, options: { lockMs?: number; stepMs?: number } = {}): Promise<SharedReads[]> => {
    const keyPrefix = uniquePrefix("shared-reads");
    const made = Array.from({ length: n }, () => client());
    await Promise.all(made.map((redis) => redis.connect()));
    return made.map((redis) => createSharedReads({ redis, keyPrefix, ...options }));
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    await server.dispose();
  });

  it("answers any replica from Redis within the window; keys share one hash tag per group", async () => {
    const [a, b] = await replicas(2);
    let loads = 0;
    const load = (): Promise<string> => Promise.resolve(`page-${(loads += 1)}`);
    expect(await a!.read("USAGE_DETAIL", "1:50", load, TEXT, 5_000)).toEqual({ value: "page-1", source: "loaded", freshForMs: null });
    const fromB = await b!.read("USAGE_DETAIL", "1:50", load, TEXT, 5_000);
    expect(fromB).toMatchObject({ value: "page-1", source: "redis" });
    expect(fromB.freshForMs).toBeGreaterThan(4_000);
    expect(fromB.freshForMs).toBeLessThanOrEqual(5_000);
    expect(loads).toBe(1);
    const keys = await server.admin().keys("*shared-reads*");
    expect(new Set(keys.map((key) => /^\{[^}]+\}/.exec(key)?.[0])).size).toBe(1);
  });

  it("one replica reads a missing value while the others wait for it", async () => {
    const group = await replicas(3);
    let loads = 0;
    const slowLoad = async (): Promise<string> => {
      loads += 1;
      await sleep(80);
      return "page-slow";
    };
    const results = await Promise.all(group.map((reads) => reads.read("USER_USAGE", "1:50", slowLoad, TEXT, 5_000)));
    expect(loads).toBe(1);
    expect(results.map((r) => r.value)).toEqual(["page-slow", "page-slow", "page-slow"]);
    expect(results.map((r) => r.source).sort()).toEqual(["loaded", "redis", "redis"]);
  });

  it("a reader that fails lets a waiter read at once; one that hangs is outwaited after the lock's deadline", async () => {
    const [a, b] = await replicas(2, { lockMs: 300 });
    const failing = a!
      .read("USAGE_DETAIL", "2:50", async () => {
        await sleep(40);
        throw new Error("upstream unavailable");
      }, TEXT, 5_000)
      .catch((error: unknown) => error);
    await sleep(5);
    const started = performance.now();
    const waiter = await b!.read("USAGE_DETAIL", "2:50", () => Promise.resolve("page-b"), TEXT, 5_000);
    expect(await failing).toEqual(new Error("upstream unavailable"));
    expect(waiter).toMatchObject({ value: "page-b", source: "loaded" });
    expect(performance.now() - started).toBeLessThan(200);

    let release = (): void => undefined;
    const hanging = a!.read("USAGE_DETAIL", "3:50", () => new Promise<string>((resolve) => (release = () => resolve("page-late"))), TEXT, 5_000);
    await sleep(5);
    const waitedFrom = performance.now();
    const outwaited = await b!.read("USAGE_DETAIL", "3:50", () => Promise.resolve("page-own"), TEXT, 5_000);
    expect(outwaited.value).toBe("page-own");
    expect(performance.now() - waitedFrom).toBeGreaterThanOrEqual(250);
    expect(performance.now() - waitedFrom).toBeLessThan(1_000);
    release();
    await hanging;
  });

  it("invalidation: a value read before it is never served after it, even when it lands later", async () => {
    const [a, b] = await replicas(2);
    expect((await a!.read("USAGE_DETAIL", "1:50", () => Promise.resolve("page-old"), TEXT, 5_000)).value).toBe("page-old");
    let land = (): void => undefined;
    const inFlight = a!.read("USAGE_DETAIL", "4:50", () => new Promise<string>((resolve) => (land = () => resolve("page-before-create"))), TEXT, 5_000);
    await sleep(5);
    await b!.invalidate("USAGE_DETAIL"); // a create on replica B
    land();
    expect((await inFlight).value).toBe("page-before-create"); // its own caller gets it...
    await sleep(20);
    // ...but nobody else: both pages are read again.
    expect(await b!.read("USAGE_DETAIL", "4:50", () => Promise.resolve("page-new"), TEXT, 5_000)).toMatchObject({ value: "page-new", source: "loaded" });
    expect(await b!.read("USAGE_DETAIL", "1:50", () => Promise.resolve("page-new-1"), TEXT, 5_000)).toMatchObject({ value: "page-new-1", source: "loaded" });
    // Another group is untouched.
    expect(await b!.read("USER_USAGE", "9:50", () => Promise.resolve("page-x"), TEXT, 5_000)).toMatchObject({ source: "loaded" });
    expect(await a!.read("USER_USAGE", "9:50", () => Promise.resolve("page-y"), TEXT, 5_000)).toMatchObject({ value: "page-x", source: "redis" });
  });

  it("a slow Redis costs one step's deadline, then nothing while the breaker is open", async () => {
    const [reads] = await replicas(1, { stepMs: 50 });
    await server.admin().call("CLIENT", "PAUSE", "600", "ALL");
    try {
      let started = performance.now();
      expect(await reads!.read("USAGE_DETAIL", "5:50", () => Promise.resolve("page-direct"), TEXT, 5_000)).toEqual({ value: "page-direct", source: "direct", freshForMs: null });
      expect(performance.now() - started).toBeLessThan(150);
      started = performance.now();
      expect((await reads!.read("USAGE_DETAIL", "6:50", () => Promise.resolve("page-direct"), TEXT, 5_000)).source).toBe("direct");
      expect(performance.now() - started).toBeLessThan(10);
    } finally {
      await server.admin().call("CLIENT", "UNPAUSE");
    }
  });

  it("no Redis at all: reads go straight to their loader, at once", async () => {
    const offline = new Redis("redis://127.0.0.1:1", { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    offline.on("error", () => undefined);
    const reads = createSharedReads({ redis: offline, keyPrefix: uniquePrefix("shared-reads-down") });
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) {
      expect((await reads.read("USAGE_DETAIL", `${i}:50`, () => Promise.resolve("page-direct"), TEXT, 5_000)).source).toBe("direct");
    }
    await reads.invalidate("USAGE_DETAIL"); // never throws
    expect(performance.now() - started).toBeLessThan(50);
    offline.disconnect();
  });
});
