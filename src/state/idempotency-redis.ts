/**
 * Redis idempotency store: replicas share one record per (scope, key). Each step is one Lua
 * script over that one key, so "claim if absent, else report what is there" is atomic across
 * replicas (and stays in one slot on a Cluster).
 * Record: hash { s: "p"|"d", f: fingerprint, r: result JSON, o: claim owner } with a TTL (lease,
 * then retention).
 *
 * Under Sentinel a claim must outlive a failover, or a twin request on the new primary would
 * find no claim and create the task a second time: a new claim counts only once a replica holds
 * it (`writesReplicated`); otherwise it is released and the request refused as retryable. A
 * result likewise counts as stored only once a replica holds it: otherwise the new primary would
 * keep the claim "in progress" until its lease lapsed, and a retry after that would create the
 * task again; `complete` throws, and the caller stores it again.
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";
import { DEFAULT_RETENTION_MS, outcomeFor, type IdempotencyStore } from "./idempotency.js";

export interface RedisIdempotencyStoreOptions {
  redis: RedisClient;
  /** Namespace for every key this store writes. */
  prefix?: string;
  retentionMs?: number;
  /** Whether the last writes would survive a failover (WAIT under Sentinel); absent = always. */
  writesReplicated?: (timeoutMs: number) => Promise<boolean>;
  /** How long a claim may wait for a replica's acknowledgement. Default 500 ms. */
  replicationTimeoutMs?: number;
}

/** A claim that could not be made durable: the request is refused, and may be retried. */
export class IdempotencyClaimNotDurableError extends Error {
  override readonly name = "IdempotencyClaimNotDurableError";
  constructor() {
    super("idempotency claim not acknowledged by a replica");
  }
}

/** A result written on the primary that no replica acknowledged: a failover now would lose it. */
export class IdempotencyResultNotDurableError extends Error {
  override readonly name = "IdempotencyResultNotDurableError";
  constructor() {
    super("idempotency result not acknowledged by a replica; it must be stored again");
  }
}

// → {"new"} when claimed, else {s, f, r} of the existing record.
const BEGIN = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 's', 'p', 'f', ARGV[1], 'o', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'new'}
end
return redis.call('HMGET', KEYS[1], 's', 'f', 'r')`;

// Only the holder of an in-progress claim (same fingerprint), or nobody, may store a result.
const COMPLETE = `
local s = redis.call('HGET', KEYS[1], 's')
if s == 'd' then return 0 end
if s and redis.call('HGET', KEYS[1], 'f') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'd', 'f', ARGV[1], 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

// A finished record is never released: its result must keep replaying. ARGV[1]: the claim's
// owner ('' = whoever holds it).
const ABANDON = `
if redis.call('HGET', KEYS[1], 's') == 'p' and (ARGV[1] == '' or redis.call('HGET', KEYS[1], 'o') == ARGV[1]) then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export function createRedisIdempotencyStore(options: RedisIdempotencyStoreOptions): IdempotencyStore {
  const { redis } = options;
  const prefix = options.prefix ?? "cdn-export-gateway:";
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const replicationTimeoutMs = options.replicationTimeoutMs ?? 500;
  const replicated = (): Promise<boolean> => options.writesReplicated?.(replicationTimeoutMs) ?? Promise.resolve(true);
  // Hashed: caller-supplied keys never shape the Redis key space (length, separators).
  const redisKey = (scope: string, key: string): string =>
    `${prefix}idem:${createHash("sha256").update(JSON.stringify([scope, key]), "utf8").digest("hex")}`;

  return {
    async begin(scope, key, fingerprint, leaseMs, owner = "") {
      const recordKey = redisKey(scope, key);
      const reply = await redis.eval(BEGIN, 1, recordKey, fingerprint, Math.max(1, Math.ceil(leaseMs)), owner);
      if (!Array.isArray(reply)) throw new Error("idempotency store: unexpected reply from Redis");
      const [state, storedFingerprint, result] = reply as unknown[];
      if (state === "new") {
        if (await replicated().catch(() => false)) return { state: "new" };
        await redis.eval(ABANDON, 1, recordKey, owner).catch(() => undefined);
        throw new IdempotencyClaimNotDurableError();
      }
      if ((state !== "p" && state !== "d") || typeof storedFingerprint !== "string") {
        // Lapsed between EXISTS and HMGET cannot happen inside a script; anything else is corrupt.
        throw new Error("idempotency store: malformed record");
      }
      return outcomeFor({ state, fingerprint: storedFingerprint, result: typeof result === "string" ? result : null }, fingerprint);
    },
    async complete(scope, key, fingerprint, result) {
      await redis.eval(COMPLETE, 1, redisKey(scope, key), fingerprint, JSON.stringify(result) ?? "null", retentionMs);
      // Only the primary may hold it: a failure to store, so the caller stores it again (a write
      // already there is kept, and WAIT then vouches for it) until a replica has it.
      if (!(await replicated())) throw new IdempotencyResultNotDurableError();
    },
    async abandon(scope, key, owner = "") {
      await redis.eval(ABANDON, 1, redisKey(scope, key), owner);
    },
  };
}
