/**
 * The stores behind automatic persisted queries: in memory an LRU bounded by count and bytes,
 * on the real Redis one key per hash with a TTL under the replicas' shared prefix; a paused Redis
 * (a private redis-server) costs a step's deadline, not the client's command timeout.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMemoryPersistedQueryStore,
  createRedisPersistedQueryStore,
  MAX_PERSISTED_QUERY_BYTES,
  REDIS_TTL_SECONDS,
} from "../../src/state/persisted-queries.js";
import { createRedisClient } from "../../src/state/redis.js";
import { RedisDeadlineError } from "../../src/upstream/deadline.js";
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { redisServerAvailable, startRedisServer } from "../helpers/redis-servers.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const doc = (i: number): string => `query Q${i} { tasks(first: ${i}) { totalCount } }`;

describe("in-memory persisted query store", () => {
  it("keeps at most maxDocuments, dropping the least recently used", async () => {
    const store = createMemoryPersistedQueryStore({ maxDocuments: 2 });
    await store.set(sha256(doc(1)), doc(1));
    await store.set(sha256(doc(2)), doc(2));
    expect(await store.get(sha256(doc(1)))).toBe(doc(1)); // 1 is now the most recent
    await store.set(sha256(doc(3)), doc(3));
    expect(await store.get(sha256(doc(2)))).toBeNull();
    expect(await store.get(sha256(doc(1)))).toBe(doc(1));
    expect(await store.get(sha256(doc(3)))).toBe(doc(3));
  });

  it("keeps at most maxBytes of documents together", async () => {
    const store = createMemoryPersistedQueryStore({ maxBytes: 100 });
    const big = (i: number): string => `query B${i} { __typename }`.padEnd(60, " ");
    await store.set(sha256(big(1)), big(1));
    await store.set(sha256(big(2)), big(2));
    expect(await store.get(sha256(big(1)))).toBeNull();
    expect(await store.get(sha256(big(2)))).toBe(big(2));
  });

  it("does not keep a document over the size cap, nor anything under a key that is not a sha256", async () => {
    const store = createMemoryPersistedQueryStore();
    const huge = `query H { __typename }${" ".repeat(MAX_PERSISTED_QUERY_BYTES)}`;
    await store.set(sha256(huge), huge);
    expect(await store.get(sha256(huge))).toBeNull();
    await store.set("not-a-hash", doc(1));
    expect(await store.get("not-a-hash")).toBeNull();
  });
});

const hasRedis = await redisReachable();

describe.skipIf(!hasRedis)("Redis persisted query store", () => {
  const prefix = uniquePrefix("apq-store");
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  beforeAll(() => redis.connect());
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it("two stores on one prefix (two replicas) share documents, each with a TTL", async () => {
    const a = createRedisPersistedQueryStore({ redis, prefix });
    const b = createRedisPersistedQueryStore({ redis, prefix });
    await a.set(sha256(doc(7)), doc(7));
    expect(await b.get(sha256(doc(7)))).toBe(doc(7));
    const ttl = await redis.ttl(`${prefix}apq:${sha256(doc(7))}`);
    expect(ttl).toBeGreaterThan(REDIS_TTL_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(REDIS_TTL_SECONDS);
    // Another prefix is another deployment.
    expect(await createRedisPersistedQueryStore({ redis, prefix: `${prefix}other:` }).get(sha256(doc(7)))).toBeNull();
  });
});

describe.skipIf(!redisServerAvailable())("Redis persisted query store on a paused Redis", () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    // The gateway's own connection settings: a 2 s command timeout.
    redis = createRedisClient(server.url);
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.dispose();
  });

  it("a lookup or registration gives up after its step deadline; documents known here are still found", async () => {
    // No pause after a failure here: each step meets Redis and its own deadline.
    const store = createRedisPersistedQueryStore({ redis, prefix: uniquePrefix("apq-paused"), pauseAfterFailureMs: 0 });
    await store.set(sha256(doc(1)), doc(1));
    await server.admin().call("CLIENT", "PAUSE", "2500", "ALL");
    try {
      // Well under the 2 s command timeout: the step's deadline (100 ms) and a loaded machine's slack.
      const bound = 1_000;
      let started = performance.now();
      await expect(store.get(sha256(doc(2)))).rejects.toBeInstanceOf(RedisDeadlineError);
      expect(performance.now() - started).toBeLessThan(bound);
      started = performance.now();
      await expect(store.set(sha256(doc(3)), doc(3))).rejects.toBeInstanceOf(RedisDeadlineError);
      expect(performance.now() - started).toBeLessThan(bound);
      started = performance.now();
      expect(await store.get(sha256(doc(1)))).toBe(doc(1));
      expect(await store.get(sha256(doc(3)))).toBe(doc(3));
      expect(performance.now() - started).toBeLessThan(bound);
    } finally {
      await server.admin().call("CLIENT", "UNPAUSE");
    }
  });

  it("after a failure Redis is left alone for a while: unknown hashes are misses at once, not one deadline each", async () => {
    const prefix = uniquePrefix("apq-breaker");
    const store = createRedisPersistedQueryStore({ redis, prefix, pauseAfterFailureMs: 1_500 });
    await server.admin().call("CLIENT", "PAUSE", "1000", "ALL");
    await expect(store.get(sha256(doc(4)))).rejects.toBeInstanceOf(RedisDeadlineError); // the one failure, reported
    // Redis is still paused: were each lookup tried, each would wait out its deadline and fail.
    for (const n of [5, 6, 7]) expect(await store.get(sha256(doc(n)))).toBeNull();
    await store.set(sha256(doc(8)), doc(8)); // kept here only, no error
    expect(await store.get(sha256(doc(8)))).toBe(doc(8));
    await server.admin().call("CLIENT", "UNPAUSE");
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    // Half-open: the next step goes to Redis again, and registrations reach it.
    await store.set(sha256(doc(9)), doc(9));
    expect(await redis.get(`${prefix}apq:${sha256(doc(9))}`)).toBe(doc(9));
    expect(await redis.get(`${prefix}apq:${sha256(doc(8))}`)).toBeNull(); // registered while Redis was left alone
  });
});
