/**
 * Reads shared by replicas through Redis (the page cache's second tier): a value read within its
 * freshness window is answered from Redis by any replica; on a miss one replica reads while the
 * others wait for its result, so N replicas cost about what one does.
 *
 * - Keys per group (a kind of task), all under one hash tag so each script stays in one Cluster
 *   slot: `{<prefix>reads:<group>}:gen` (the group's generation), `…:v1:<key>` (the value, as
 *   `<generation>|<payload>`, expiring with its freshness) and `…:lock:<key>` (who is reading).
 * - A value counts only under the generation it was read in; `invalidate` bumps the generation,
 *   so a value read before a create or delete is never served after it, by any replica, even if
 *   its read lands later.
 * - The lock has a deadline (`lockMs`): a reader that crashed or hangs is outwaited, then the
 *   waiters read themselves. A reader that fails releases the lock at once.
 * - Every Redis step has a short deadline (`stepMs`) and one failure opens a breaker for a
 *   second: while Redis is slow or down, reads go straight to their loader, as without Redis.
 */
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from "cockatiel";
import { randomUUID } from "node:crypto";
import { withDeadline } from "../upstream/deadline.js";
import { hashTag, luaScript, runScript } from "./lua-script.js";
import type { RedisClient } from "./redis.js";

/** How a value travels through Redis; `decode` returns null for anything it does not recognise. */
export interface SharedReadCodec<T> {
  encode(value: T): string;
  decode(text: string): T | null;
}

export interface SharedRead<T> {
  value: T;
  /** `redis`: another replica's read; `loaded`: this replica read it (and shared it); `direct`: read without Redis. */
  source: "redis" | "loaded" | "direct";
  /** How much longer a value from Redis stays fresh; null when this replica read it (fresh from its start). */
  freshForMs: number | null;
}

export interface SharedReads {
  /**
   * `key` of `group` through Redis: the fresh value if one is there, else `load` here (one
   * replica at a time) or the value another replica is loading. `freshMs`: the window.
   */
  read<T>(group: string, key: string, load: () => Promise<T>, codec: SharedReadCodec<T>, freshMs: number): Promise<SharedRead<T>>;
  /** Every value of `group` stops counting for every replica (resolves when Redis has it, or gave up). */
  invalidate(group: string): Promise<void>;
}

export interface SharedReadsOptions {
  redis: RedisClient;
  /** Namespace (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  /** Deadline of one Redis step. Default 100 ms. */
  stepMs?: number;
  /** How long one replica's read holds the lock, and the others wait for it. Default 2000 ms. */
  lockMs?: number;
  /** After a Redis failure, how long reads skip Redis. Default 1000 ms. */
  pauseAfterFailureMs?: number;
  onError?: (error: unknown) => void;
}

/** KEYS: gen, value, lock. ARGV: lock token, lock ms. → {'hit', payload, pttl} | {'lead', gen} | {'wait', gen}. */
const READ = luaScript(`
local gen = redis.call('GET', KEYS[1]) or '0'
local stored = redis.call('GET', KEYS[2])
if stored then
  local sep = string.find(stored, '|', 1, true)
  if sep and string.sub(stored, 1, sep - 1) == gen then
    return {'hit', string.sub(stored, sep + 1), redis.call('PTTL', KEYS[2])}
  end
end
if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'lead', gen} end
return {'wait', gen}`);

/** KEYS: gen, value, lock. ARGV: gen read under, payload, fresh ms, lock token. Stored only if the generation still holds. */
const STORE = luaScript(`
if (redis.call('GET', KEYS[1]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return 1`);

/** KEYS: lock. ARGV: token. The reader failed: let a waiter read. */
const RELEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

type ReadReply = { state: "hit"; payload: string; pttl: number } | { state: "lead"; gen: string } | { state: "wait" };

export function createSharedReads(options: SharedReadsOptions): SharedReads {
  const { redis, keyPrefix } = options;
  const stepMs = options.stepMs ?? 100;
  const lockMs = options.lockMs ?? 2_000;
  const onError = options.onError ?? (() => undefined);
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleAll, {
    halfOpenAfter: options.pauseAfterFailureMs ?? 1_000,
    breaker: new ConsecutiveBreaker(1),
  });
  // While the breaker is open every step fails at once: that is the fallback working, not news.
  const report = (error: unknown): void => {
    if (!(error instanceof BrokenCircuitError)) onError(error);
  };
  // Invalidations Redis has not confirmed: those groups skip Redis until one goes through.
  const unconfirmed = new Set<string>();

  const keysOf = (group: string, key: string): { gen: string; value: string; lock: string } => {
    const tag = hashTag(`${keyPrefix}reads:${group}`);
    return { gen: `${tag}:gen`, value: `${tag}:v1:${key}`, lock: `${tag}:lock:${key}` };
  };
  const step = <T>(work: () => Promise<T>): Promise<T> => breaker.execute(() => withDeadline(work(), stepMs));

  const bump = async (group: string): Promise<void> => {
    await step(() => redis.incr(keysOf(group, "").gen));
    unconfirmed.delete(group);
  };

  async function readThrough<T>(group: string, key: string, load: () => Promise<T>, codec: SharedReadCodec<T>, freshMs: number): Promise<SharedRead<T>> {
    const keys = keysOf(group, key);
    const token = randomUUID();
    const giveUpAt = performance.now() + lockMs;
    for (let pollMs = 1; ; pollMs = Math.min(pollMs * 2, 20)) {
      const reply = parseRead(await step(() => runScript(redis, READ, [keys.gen, keys.value, keys.lock], [token, lockMs])));
      if (reply.state === "hit") {
        const value = codec.decode(reply.payload);
        if (value !== null) return { value, source: "redis", freshForMs: Math.max(0, reply.pttl) };
        onError(new Error("shared reads: a stored value did not decode; reading without it"));
        break;
      }
      if (reply.state === "lead") return lead(keys, reply.gen, token, load, codec, freshMs);
      // Someone else is reading: wait for its result, up to the lock's deadline.
      if (performance.now() + pollMs > giveUpAt) break;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return { value: await load(), source: "direct", freshForMs: null };
  }

  async function lead<T>(keys: ReturnType<typeof keysOf>, gen: string, token: string, load: () => Promise<T>, codec: SharedReadCodec<T>, freshMs: number): Promise<SharedRead<T>> {
    const startedAt = performance.now();
    let value: T;
    try {
      value = await load();
    } catch (error) {
      step(() => runScript(redis, RELEASE, [keys.lock], [token])).catch(report);
      throw error;
    }
    // Fresh from when the read started, like the first tier; a value already stale is not shared.
    // Stored before this replica answers: whoever asks after its answer finds the page in Redis.
    const freshLeft = Math.floor(freshMs - (performance.now() - startedAt));
    await (freshLeft >= 1
      ? step(() => runScript(redis, STORE, [keys.gen, keys.value, keys.lock], [gen, codec.encode(value), freshLeft, token]))
      : step(() => runScript(redis, RELEASE, [keys.lock], [token]))
    ).catch(report);
    return { value, source: "loaded", freshForMs: null };
  }

  return {
    async read(group, key, load, codec, freshMs) {
      if (unconfirmed.size > 0) await Promise.all([...unconfirmed].map((g) => bump(g).catch(() => undefined)));
      if (unconfirmed.has(group)) return { value: await load(), source: "direct", freshForMs: null };
      let loading = false;
      try {
        return await readThrough(
          group,
          key,
          () => {
            loading = true;
            return load();
          },
          codec,
          freshMs,
        );
      } catch (error) {
        // The loader's own failure is the caller's; a Redis failure means reading without Redis.
        if (loading) throw error;
        report(error);
        return { value: await load(), source: "direct", freshForMs: null };
      }
    },
    async invalidate(group) {
      unconfirmed.add(group);
      await bump(group).catch(report);
    },
  };
}

function parseRead(reply: unknown): ReadReply {
  if (!Array.isArray(reply)) throw new Error("shared reads: unexpected reply from Redis");
  const [state, first, second] = reply as unknown[];
  if (state === "hit" && typeof first === "string") return { state, payload: first, pttl: Number(second) };
  if (state === "lead") return { state, gen: String(first) };
  if (state === "wait") return { state };
  throw new Error("shared reads: unexpected reply from Redis");
}
