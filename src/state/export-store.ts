/**
 * Bytes shared by replicas, with a lock per name (Redis): what lets one replica do a long piece
 * of work (reading a large export) while the others wait for its result instead of repeating it.
 * It knows nothing of what the bytes are.
 *
 * Keys: `<prefix>blob:{<digest of the name>}:data` and `…:lock`. The braces are a hash tag: a
 * name's data and lock live in one slot of a Redis Cluster. The name is hashed, so whatever
 * it holds never shapes the key space.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** A lock held on a name until released or until its time runs out. */
export interface ExportStoreLock {
  /** Gives the lock `ttlMs` more from now; false when it was lost (expired and taken, or gone). */
  extend(ttlMs: number): Promise<boolean>;
  /** Lets the lock go (only if still ours). */
  release(): Promise<void>;
}

export interface ExportStore {
  /** The bytes stored under `name`, or null. */
  get(name: string): Promise<Buffer | null>;
  /** Stores `bytes` under `name` for `ttlMs`. */
  put(name: string, bytes: Uint8Array, ttlMs: number): Promise<void>;
  /** Takes `name`'s lock for `ttlMs` when nobody holds it; null when someone does. */
  lock(name: string, ttlMs: number): Promise<ExportStoreLock | null>;
}

export interface RedisExportStoreOptions {
  /** The commands connection (a Cluster works too: every command here touches one slot). */
  redis: Pick<Redis, "getBuffer" | "set" | "eval">;
  /** Namespace of every key (REDIS_KEY_PREFIX). */
  keyPrefix: string;
}

// Only the holder (same token) may extend or release.
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createRedisExportStore(options: RedisExportStoreOptions): ExportStore {
  const { redis, keyPrefix } = options;
  const keys = (name: string): { data: string; lock: string } => {
    const slot = `${keyPrefix}blob:{${createHash("sha256").update(name, "utf8").digest("base64url").slice(0, 24)}}`;
    return { data: `${slot}:data`, lock: `${slot}:lock` };
  };
  const ms = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs));

  return {
    get: (name) => redis.getBuffer(keys(name).data),
    async put(name, bytes, ttlMs) {
      await redis.set(keys(name).data, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), "PX", ms(ttlMs));
    },
    async lock(name, ttlMs) {
      const key = keys(name).lock;
      const token = randomUUID();
      const taken = await redis.set(key, token, "PX", ms(ttlMs), "NX");
      if (taken !== "OK") return null;
      return {
        extend: async (more) => (await redis.eval(EXTEND, 1, key, token, ms(more))) === 1,
        release: async () => {
          await redis.eval(RELEASE, 1, key, token);
        },
      };
    },
  };
}
