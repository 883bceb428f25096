/**
 * The stores behind automatic persisted queries: in memory an LRU bounded by count and bytes,
 * on the real Redis one key per hash with a TTL under the replicas' shared prefix.
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
import { deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";

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
