/**
 * The client-side share of the upstream quota (100 calls/s per account, all operations
 * together): `ratePerSecond` calls per second for the whole deployment, in one process
 * (memory) or across replicas (Redis). A call over the rate waits for the next slot, but only
 * up to `maxWaitMs`; past that it fails with UpstreamQuotaExhaustedError instead of queueing.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { UpstreamQuotaExhaustedError } from "./errors.js";
import { notify } from "./retry-policy.js";
import type { UpstreamObserver } from "./types.js";

export interface QuotaAcquireOptions {
  observer?: UpstreamObserver;
  signal?: AbortSignal;
}

export interface UpstreamQuota {
  /** Resolves when one call may go out now; rejects with UpstreamQuotaExhaustedError. */
  acquire(action: string, options?: QuotaAcquireOptions): Promise<void>;
}

export interface QuotaOptions {
  /** Calls per second allowed for everything sharing this quota (an integer >= 1). */
  ratePerSecond: number;
  /** Longest a call waits for a slot before failing. Default 2000. */
  maxWaitMs?: number;
}

export interface RedisQuotaOptions extends QuotaOptions {
  redis: Redis;
  /** Redis key prefix; replicas sharing a prefix share the quota. Default `cdn-export:quota`. */
  keyPrefix?: string;
}

const DEFAULT_MAX_WAIT_MS = 2000;
const DEFAULT_REDIS_PREFIX = "cdn-export:quota";
/** One bucket: the documented quota counts all operations together. */
const QUOTA_KEY = "upstream";

/** Never limits: for tests and tools that talk to an emulator on purpose without a quota. */
export function createUnlimitedQuota(): UpstreamQuota {
  return { acquire: () => Promise.resolve() };
}

export function createMemoryQuota(options: QuotaOptions): UpstreamQuota {
  const limiter = new RateLimiterMemory({ points: checkedRate(options.ratePerSecond), duration: 1 });
  return limiterQuota(limiter, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
}

/**
 * Shared through Redis. When Redis is unreachable the limit falls back to this process alone
 * (rate-limiter-flexible's insurance limiter) rather than stopping every call.
 */
export function createRedisQuota(options: RedisQuotaOptions): UpstreamQuota {
  const points = checkedRate(options.ratePerSecond);
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix ?? DEFAULT_REDIS_PREFIX,
    points,
    duration: 1,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
  });
  return limiterQuota(limiter, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
}

function checkedRate(ratePerSecond: number): number {
  if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1) {
    throw new RangeError("ratePerSecond must be an integer >= 1");
  }
  return ratePerSecond;
}

function limiterQuota(limiter: RateLimiterAbstract, maxWaitMs: number): UpstreamQuota {
  return {
    async acquire(action, options = {}) {
      const started = performance.now();
      let slept = false;
      for (;;) {
        const msBeforeNext = await tryConsume(limiter);
        if (msBeforeNext === undefined) break;
        const waited = performance.now() - started;
        // Fail now when the next slot is already known to be out of reach.
        if (waited + msBeforeNext > maxWaitMs) throw new UpstreamQuotaExhaustedError(action, maxWaitMs);
        await sleep(Math.max(1, msBeforeNext), undefined, { signal: options.signal });
        slept = true;
      }
      const { observer } = options;
      if (slept && observer?.onQuotaWait) {
        const waitedMs = Math.round(performance.now() - started);
        notify(() => observer.onQuotaWait?.({ action, waitedMs }));
      }
    },
  };
}

/** undefined when a point was taken; otherwise how long until the window frees up. */
async function tryConsume(limiter: RateLimiterAbstract): Promise<number | undefined> {
  try {
    await limiter.consume(QUOTA_KEY, 1);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection.msBeforeNext;
    throw rejection;
  }
}
