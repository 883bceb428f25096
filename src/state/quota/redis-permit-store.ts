/**
 * The permit store on Redis: the quota's two rules (stated in src/upstream/quota/schedule.ts)
 * as one atomic script per step, so that every replica sharing the key prefix draws from one
 * set of permits and one pacing schedule. The terms (limit, window, slot, burst) come with
 * each call from the quota that composes this store.
 *
 * Why a script of our own: rate-limiter-flexible (used here before) has fixed windows only on
 * Redis, which let 2 × rate through across a window boundary, and no maintained ioredis
 * library counts a call until it is OVER (rule 1); a sorted set of permits is the well-known
 * semaphore pattern. Times come from the Redis server's clock (TIME), one clock for all
 * replicas; tests may pass their own clock instead.
 *
 * Keys: `<prefix>:permits`, a sorted set (member: call id, score: ms until which the call
 * counts: far ahead while in flight, one window after its end once released) and
 * `<prefix>:pacing`, a hash (`tat`: GCRA's theoretical arrival time; `spaced`: no waiting
 * caller goes before it). Both expire when unused.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { PermitStore, PermitTerms, TakeResult } from "./permit-store.js";

const CLOCK = `
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local function ms(value) return string.format('%.3f', value) end
`;

/**
 * KEYS: permits, pacing. ARGV: now ('' = server clock), limit, window ms, slot ms,
 * burst tolerance ms, max call ms, call id, queued ('1' for a caller that waited).
 * Returns {1, now} when the call may go (its permit taken), else {0, ms to wait}.
 */
const TAKE_SCRIPT = `${CLOCK}
local limit, window, slot, tolerance, maxCall = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local queued = ARGV[8] == '1'
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms(now))
local startAt = now
if redis.call('ZCARD', KEYS[1]) >= limit then
  -- A call still in flight frees its permit one window after it ends, at the earliest.
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  startAt = math.min(tonumber(first[2]), now + window)
end
local pacing = redis.call('HMGET', KEYS[2], 'tat', 'spaced')
local tat = tonumber(pacing[1]) or -math.huge
local spaced = tonumber(pacing[2]) or -math.huge
local pacedAt = tat - tolerance
if queued then pacedAt = math.max(pacedAt, spaced) end
startAt = math.max(startAt, pacedAt)
if startAt > now then return {0, ms(startAt - now)} end
redis.call('ZADD', KEYS[1], ms(now + maxCall + window), ARGV[7])
redis.call('PEXPIRE', KEYS[1], math.ceil(maxCall + window))
tat = math.max(tat, now) + slot
-- A waiter up to min(slot / 2, 2 ms) late keeps the schedule (timers fire a little late).
if queued then spaced = math.max(spaced + slot, now + slot - math.min(slot / 2, 2)) else spaced = math.max(spaced, now) end
redis.call('HSET', KEYS[2], 'tat', ms(tat), 'spaced', ms(spaced))
redis.call('PEXPIRE', KEYS[2], math.ceil(tat - now + window))
return {1, ms(now)}
`;

/** KEYS: permits. ARGV: now ('' = server clock), window ms, call id. The call is over. */
const GIVE_SCRIPT = `${CLOCK}
local window = tonumber(ARGV[2])
-- Even a permit that expired (its call outlived max call ms) counts one more window.
redis.call('ZADD', KEYS[1], ms(now + window), ARGV[3])
if redis.call('PTTL', KEYS[1]) < window then redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1) end
return 1
`;

export interface RedisPermitStoreOptions {
  redis: Redis;
  /** Replicas sharing a prefix share the permits: keys `<prefix>:permits` and `<prefix>:pacing`. */
  keyPrefix: string;
  /** Epoch ms for the scripts instead of the Redis server's clock (tests). */
  now?: () => number;
}

/** The two scripts, bound to one prefix. Commands fail at once while Redis is down. */
export class RedisPermitStore implements PermitStore {
  readonly #permitsKey: string;
  readonly #pacingKey: string;

  constructor(private readonly options: RedisPermitStoreOptions) {
    this.#permitsKey = `${options.keyPrefix}:permits`;
    this.#pacingKey = `${options.keyPrefix}:pacing`;
  }

  async take(callId: string, terms: PermitTerms, queued: boolean): Promise<TakeResult> {
    const { limit, windowMs, slotMs, burstToleranceMs, maxCallMs } = terms;
    const reply = await this.#run(TAKE, [this.#permitsKey, this.#pacingKey], [
      this.#clock(),
      limit,
      windowMs,
      slotMs,
      burstToleranceMs,
      maxCallMs,
      callId,
      queued ? "1" : "0",
    ]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error("quota script: unexpected reply");
    const [taken, value] = reply as unknown[];
    if (taken === 1) return { taken: true };
    return { taken: false, retryInMs: Number(value) };
  }

  async give(callId: string, terms: PermitTerms): Promise<void> {
    await this.#run(GIVE, [this.#permitsKey], [this.#clock(), terms.windowMs, callId]);
  }

  #clock(): string {
    return this.options.now === undefined ? "" : String(this.options.now());
  }

  /** EVALSHA, loading the script on NOSCRIPT (a restarted or flushed Redis). */
  async #run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    const { redis } = this.options;
    try {
      return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }
}

interface LuaScript {
  source: string;
  sha: string;
}

const script = (source: string): LuaScript => ({ source, sha: createHash("sha1").update(source).digest("hex") });
const TAKE = script(TAKE_SCRIPT);
const GIVE = script(GIVE_SCRIPT);
