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
 * Keys, under one hash tag (one Cluster slot): `{<prefix>}:permits`, a sorted set (member:
 * call id, score: ms until which the call counts: far ahead while in flight, one window after
 * its end once released); `{<prefix>}:pacing`, a hash (`tat`: GCRA's theoretical arrival time;
 * `spaced`: no waiting caller goes before it); and `{<prefix>}:replicas`, a hash of presence
 * (replica id → "<last seen ms> <share>"). A replica silent for `staleMs` may be running on its
 * own share, cut off from Redis: every take leaves that share free for it (the limit is the rate
 * minus the shares of silent replicas) until it has been silent for `forgetMs`. All expire
 * when unused.
 */
import { hashTag, luaScript, runScript } from "../lua-script.js";
import type { RedisClient } from "../redis.js";
import type { HeldPermit, PermitStore, PermitTerms, Presence, TakeResult } from "../../upstream/quota/permit-store.js";

const CLOCK = `
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local function ms(value) return string.format('%.3f', value) end
`;

/**
 * Heartbeat of replica `me` (which would use `share` calls/s alone); forgets replicas silent
 * for `forget` ms. Returns the replicas alive (`me` included) and the sum of the shares of
 * those silent for more than `stale` ms, which the others keep free.
 */
const PRESENCE = `
local function presence(key, me, share, stale, forget)
  local alive, reserved = 1, 0
  local entries = redis.call('HGETALL', key)
  for i = 1, #entries, 2 do
    local id = entries[i]
    if id ~= me then
      local seen, held = string.match(entries[i + 1], '^(%S+) (%S+)$')
      seen, held = tonumber(seen), tonumber(held)
      if not seen or not held or now - seen > forget then
        redis.call('HDEL', key, id)
      else
        alive = alive + 1
        if now - seen > stale then reserved = reserved + held end
      end
    end
  end
  redis.call('HSET', key, me, ms(now) .. ' ' .. share)
  redis.call('PEXPIRE', key, math.ceil(forget))
  return alive, reserved
end
`;

/**
 * KEYS: permits, pacing, replicas. ARGV: now ('' = server clock), limit, window ms, slot ms,
 * burst tolerance ms, max call ms, call id, queued ('1' for a caller that waited), replica id,
 * share, stale ms, forget ms.
 * Returns {1, now, replicas} when the call may go (its permit taken), else {0, ms to wait, replicas}.
 */
const TAKE = luaScript(`${CLOCK}${PRESENCE}
local window, slot, tolerance, maxCall = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local queued = ARGV[8] == '1'
local stale = tonumber(ARGV[11])
local alive, reserved = presence(KEYS[3], ARGV[9], ARGV[10], stale, tonumber(ARGV[12]))
-- Shares of replicas that may be running on their own are not ours to take.
local limit = tonumber(ARGV[2]) - reserved
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms(now))
local startAt = now
if limit < 1 then
  startAt = now + stale
else
  local count = redis.call('ZCARD', KEYS[1])
  if count >= limit then
    -- A call still in flight frees its permit one window after it ends, at the earliest.
    local nth = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    startAt = math.min(tonumber(nth[2]), now + window)
  end
end
local pacing = redis.call('HMGET', KEYS[2], 'tat', 'spaced')
local tat = tonumber(pacing[1]) or -math.huge
local spaced = tonumber(pacing[2]) or -math.huge
local pacedAt = tat - tolerance
if queued then pacedAt = math.max(pacedAt, spaced) end
startAt = math.max(startAt, pacedAt)
if startAt > now then return {0, ms(startAt - now), alive} end
redis.call('ZADD', KEYS[1], ms(now + maxCall + window), ARGV[7])
redis.call('PEXPIRE', KEYS[1], math.ceil(maxCall + window))
tat = math.max(tat, now) + slot
-- A waiter up to min(slot / 2, 2 ms) late keeps the schedule (timers fire a little late).
if queued then spaced = math.max(spaced + slot, now + slot - math.min(slot / 2, 2)) else spaced = math.max(spaced, now) end
redis.call('HSET', KEYS[2], 'tat', ms(tat), 'spaced', ms(spaced))
redis.call('PEXPIRE', KEYS[2], math.ceil(tat - now + window))
return {1, ms(now), alive}
`);

/** KEYS: permits. ARGV: now ('' = server clock), window ms, call id. The call is over. */
const GIVE = luaScript(`${CLOCK}
local window = tonumber(ARGV[2])
-- Even a permit that expired (its call outlived max call ms) counts one more window.
redis.call('ZADD', KEYS[1], ms(now + window), ARGV[3])
if redis.call('PTTL', KEYS[1]) < window then redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1) end
return 1
`);

/** KEYS: replicas. ARGV: now, replica id, share, stale ms, forget ms. Returns the replicas alive. */
const HEARTBEAT = luaScript(`${CLOCK}${PRESENCE}
local alive = presence(KEYS[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]))
return alive
`);

/**
 * KEYS: permits, replicas. ARGV: now, window ms, max call ms, replica id, share, stale ms,
 * forget ms, then pairs (call id, ms it still counts, '' while in flight). This replica's own
 * permits are its own to state: each is written as it is now (removed when its time is up).
 */
const REJOIN = luaScript(`${CLOCK}${PRESENCE}
local window, maxCall = tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 8, #ARGV, 2 do
  local id, remaining = ARGV[i], ARGV[i + 1]
  if remaining == '' then
    redis.call('ZADD', KEYS[1], ms(now + maxCall + window), id)
  elseif tonumber(remaining) > 0 then
    redis.call('ZADD', KEYS[1], ms(now + tonumber(remaining)), id)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
if redis.call('PTTL', KEYS[1]) < maxCall + window then redis.call('PEXPIRE', KEYS[1], math.ceil(maxCall + window)) end
local alive = presence(KEYS[2], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]))
return alive
`);

/** Where the store keeps its state under `keyPrefix` (tests look at them). */
export function permitStoreKeys(keyPrefix: string): { permits: string; pacing: string; replicas: string } {
  const tag = hashTag(keyPrefix);
  return { permits: `${tag}:permits`, pacing: `${tag}:pacing`, replicas: `${tag}:replicas` };
}

export interface RedisPermitStoreOptions {
  redis: RedisClient;
  /** Replicas sharing a prefix share the permits (keys: `permitStoreKeys`). */
  keyPrefix: string;
  /** Epoch ms for the scripts instead of the Redis server's clock (tests). */
  now?: () => number;
}

/** The scripts, bound to one prefix. Commands fail at once while Redis is down. */
export class RedisPermitStore implements PermitStore {
  readonly #keys: ReturnType<typeof permitStoreKeys>;

  constructor(private readonly options: RedisPermitStoreOptions) {
    this.#keys = permitStoreKeys(options.keyPrefix);
  }

  async take(callId: string, terms: PermitTerms, queued: boolean, presence: Presence): Promise<TakeResult> {
    const { limit, windowMs, slotMs, burstToleranceMs, maxCallMs } = terms;
    const { permits, pacing, replicas } = this.#keys;
    const reply = await this.#run(TAKE, [permits, pacing, replicas], [
      this.#clock(),
      limit,
      windowMs,
      slotMs,
      burstToleranceMs,
      maxCallMs,
      callId,
      queued ? "1" : "0",
      ...presenceArgs(presence),
    ]);
    if (!Array.isArray(reply) || reply.length !== 3) throw new Error("quota script: unexpected reply");
    const [taken, value, alive] = reply as unknown[];
    const replicasAlive = Number(alive);
    if (taken === 1) return { taken: true, replicas: replicasAlive };
    return { taken: false, retryInMs: Number(value), replicas: replicasAlive };
  }

  async give(callId: string, terms: PermitTerms): Promise<void> {
    await this.#run(GIVE, [this.#keys.permits], [this.#clock(), terms.windowMs, callId]);
  }

  async heartbeat(presence: Presence): Promise<number> {
    return Number(await this.#run(HEARTBEAT, [this.#keys.replicas], [this.#clock(), ...presenceArgs(presence)]));
  }

  async rejoin(presence: Presence, held: readonly HeldPermit[], terms: PermitTerms): Promise<number> {
    const { replicaId, share, staleMs, forgetMs } = presence;
    const pairs = held.flatMap((permit) => [permit.callId, permit.remainingMs === null ? "" : String(permit.remainingMs)]);
    const reply = await this.#run(REJOIN, [this.#keys.permits, this.#keys.replicas], [
      this.#clock(),
      terms.windowMs,
      terms.maxCallMs,
      replicaId,
      share,
      staleMs,
      forgetMs,
      ...pairs,
    ]);
    return Number(reply);
  }

  async leave(replicaId: string): Promise<void> {
    await this.options.redis.hdel(this.#keys.replicas, replicaId);
  }

  #clock(): string {
    return this.options.now === undefined ? "" : String(this.options.now());
  }

  #run(script: Parameters<typeof runScript>[1], keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.options.redis, script, keys, args);
  }
}

function presenceArgs(presence: Presence): (string | number)[] {
  return [presence.replicaId, presence.share, presence.staleMs, presence.forgetMs];
}
