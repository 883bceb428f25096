/**
 * Where automatic persisted queries (APQ) keep the documents clients registered, by sha256 hash.
 * In memory: an LRU bounded by count and by size, for one replica. On Redis (`REDIS_URL`): one
 * key per hash with a TTL, so a document registered through one replica is known to all, and the
 * documents this replica registered or looked up also in its own LRU. A slow Redis must not make
 * a request slower than without Redis: each Redis step has a short deadline, past which it
 * fails (the caller counts a lookup as a miss, and the client sends the query in full), and
 * after one failure (reported once, by the caller) Redis is left alone for a second: lookups
 * are misses and registrations stay in this replica's memory, at once and without a report, as
 * the shared page reads do.
 *
 * A hash is only ever stored with the document it is the sha256 of (the APQ plugin checks it
 * before storing), so no client can bind another client's hash to a different document.
 */
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleAll } from "cockatiel";
import { LRUCache } from "lru-cache";
import { withDeadline } from "../upstream/deadline.js";
import type { RedisClient } from "./redis.js";

export interface PersistedQueryStore {
  /** The document registered under `hash`, or null. */
  get(hash: string): Promise<string | null>;
  /** Registers `query` under its `hash` (already checked by the caller). */
  set(hash: string, query: string): Promise<void>;
}

/** Documents larger than this run, but are not kept (a client then always sends them in full). */
export const MAX_PERSISTED_QUERY_BYTES = 64 * 1024;
/** In memory: at most this many documents… */
export const MEMORY_MAX_DOCUMENTS = 1000;
/** …and at most this many bytes of them together. */
export const MEMORY_MAX_BYTES = 8 * 1024 * 1024;
/** On Redis: a document not registered again for this long lapses (the client re-registers it). */
export const REDIS_TTL_SECONDS = 24 * 60 * 60;

const HASH = /^[0-9a-f]{64}$/;

/** A sha256 hex digest, as APQ sends it; anything else is never looked up or stored. */
export function isSha256Hex(hash: string): boolean {
  return HASH.test(hash);
}

function tooLarge(query: string): boolean {
  return Buffer.byteLength(query, "utf8") > MAX_PERSISTED_QUERY_BYTES;
}

export function createMemoryPersistedQueryStore(options: { maxDocuments?: number; maxBytes?: number } = {}): PersistedQueryStore {
  const documents = new LRUCache<string, string>({
    max: options.maxDocuments ?? MEMORY_MAX_DOCUMENTS,
    maxSize: options.maxBytes ?? MEMORY_MAX_BYTES,
    sizeCalculation: (query) => Math.max(1, Buffer.byteLength(query, "utf8")),
  });
  return {
    get: (hash) => Promise.resolve(isSha256Hex(hash) ? (documents.get(hash) ?? null) : null),
    set(hash, query) {
      if (isSha256Hex(hash) && !tooLarge(query)) documents.set(hash, query);
      return Promise.resolve();
    },
  };
}

export interface RedisPersistedQueryStoreOptions {
  redis: RedisClient;
  /** Namespace of every key; replicas that share it share the documents. */
  prefix: string;
  ttlSeconds?: number;
  /** Deadline of one Redis step (lookup, registration). Default 100 ms, as a shared page read's. */
  stepMs?: number;
  /** After a Redis failure, how long steps skip Redis. Default 1000 ms. */
  pauseAfterFailureMs?: number;
}

export function createRedisPersistedQueryStore(options: RedisPersistedQueryStoreOptions): PersistedQueryStore {
  const { redis } = options;
  const ttl = options.ttlSeconds ?? REDIS_TTL_SECONDS;
  const stepMs = options.stepMs ?? 100;
  const key = (hash: string): string => `${options.prefix}apq:${hash}`;
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: options.pauseAfterFailureMs ?? 1_000, breaker: new ConsecutiveBreaker(1) });
  // While the breaker is open a step is skipped: `skipped` is what it gives instead, not an error.
  const step = async <T>(work: () => Promise<T>, skipped: T): Promise<T> => {
    try {
      return await breaker.execute(() => withDeadline(work(), stepMs));
    } catch (error) {
      if (error instanceof BrokenCircuitError) return skipped;
      throw error;
    }
  };
  // A hash names one document for good, so a copy here is never stale; it spares Redis the
  // lookups of this replica's hot documents and keeps them known while Redis is slow or down.
  const known = createMemoryPersistedQueryStore();
  return {
    async get(hash) {
      if (!isSha256Hex(hash)) return null;
      const here = await known.get(hash);
      if (here !== null) return here;
      const found = await step(() => redis.get(key(hash)), null);
      if (found !== null) await known.set(hash, found);
      return found;
    },
    async set(hash, query) {
      if (!isSha256Hex(hash) || tooLarge(query)) return;
      await known.set(hash, query);
      await step(() => redis.set(key(hash), query, "EX", ttl), undefined);
    },
  };
}
