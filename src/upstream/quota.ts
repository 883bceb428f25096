/**
 * The client-side share of the upstream quota (100 calls/s per account, all operations
 * together): `ratePerSecond` calls per second for the whole deployment, in one process
 * (memory) or across replicas (Redis). A call over the rate waits for the next slot, but only
 * up to `maxWaitMs`; past that it fails with UpstreamQuotaExhaustedError instead of queueing.
 *
 * In one process the limit holds in ANY one-second window (a sliding log of start times), not
 * just per fixed window: rate-limiter-flexible's fixed windows let N calls out at the end of one
 * window and N more at the start of the next, 2N within one second, which the upstream answers
 * with Throttling (bench case 8 measured 148 calls in one second at a limit of 90).
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
const WINDOW_MS = 1000;
const MIN_BURST = 10;
const DEFAULT_REDIS_PREFIX = "cdn-export:quota";
/** One bucket: the documented quota counts all operations together. */
const QUOTA_KEY = "upstream";

/** Never limits: for tests and tools that talk to an emulator on purpose without a quota. */
export function createUnlimitedQuota(): UpstreamQuota {
  return { acquire: () => Promise.resolve() };
}

/**
 * Two rules: no one-second window may hold more than `ratePerSecond` calls (a sliding log of
 * start times, not fixed windows), and once a burst of `burstOf(rate)` is spent, calls are paced
 * at the rate (GCRA, the token-bucket schedule), so a fan-out still reads its pages together
 * while a crowd of callers is spread over the second instead of sent in bursts that network and
 * upstream jitter could smear into the next one.
 *
 * Waiters queue in arrival order and are released by one timer, and the log records when each
 * call was actually released: a busy event loop that wakes the timer late delays the calls, it
 * cannot squeeze more of them into a second. Whether a new caller would wait past `maxWaitMs`
 * is judged from the schedule it would get if everything ahead of it left on time.
 */
export function createMemoryQuota(options: QuotaOptions): UpstreamQuota {
  const rate = checkedRate(options.ratePerSecond);
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const released = new QuotaSchedule(rate); // what actually went out
  const planned = new QuotaSchedule(rate); // the same, plus every waiter's expected slot
  const queue: QuotaWaiter[] = [];
  let timer: NodeJS.Timeout | undefined;

  const releaseDue = (): void => {
    timer = undefined;
    for (let now = performance.now(); queue.length > 0 && released.earliest() <= now; now = performance.now()) {
      released.record(now);
      queue.shift()?.release();
    }
    if (queue.length > 0) timer = setTimeout(releaseDue, Math.ceil(released.earliest() - performance.now()) + 1);
    else planned.copyFrom(released); // drop the slots of waiters that gave up
  };

  return {
    acquire(action, acquireOptions = {}) {
      const { signal, observer } = acquireOptions;
      if (signal?.aborted) return Promise.reject(abortError(signal));
      const askedAt = performance.now();
      if (queue.length === 0 && released.earliest() <= askedAt) {
        released.record(askedAt);
        planned.record(askedAt); // in step with `released` whenever nobody waits
        return Promise.resolve();
      }
      const slot = Math.max(askedAt, planned.earliest());
      if (slot - askedAt > maxWaitMs) return Promise.reject(new UpstreamQuotaExhaustedError(action, maxWaitMs));
      planned.record(slot);
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = queue.indexOf(waiter);
          if (index !== -1) queue.splice(index, 1); // its planned slot stays taken: fewer calls, never more
          reject(abortError(signal));
        };
        const waiter: QuotaWaiter = {
          release: () => {
            signal?.removeEventListener("abort", onAbort);
            if (observer?.onQuotaWait) {
              const waitedMs = Math.round(performance.now() - askedAt);
              notify(() => observer.onQuotaWait?.({ action, waitedMs }));
            }
            resolve();
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        queue.push(waiter);
        timer ??= setTimeout(releaseDue, Math.ceil(released.earliest() - askedAt) + 1);
      });
    },
  };
}

interface QuotaWaiter {
  release(): void;
}

/** Start times of the last `rate` calls (a ring) and GCRA's due time: when may the next start? */
class QuotaSchedule {
  #starts: number[];
  #oldest = 0;
  #dueAt = Number.NEGATIVE_INFINITY;
  readonly #emissionMs: number;
  readonly #burstToleranceMs: number;

  constructor(private readonly rate: number) {
    this.#starts = new Array<number>(rate).fill(Number.NEGATIVE_INFINITY);
    this.#emissionMs = WINDOW_MS / rate;
    this.#burstToleranceMs = (burstOf(rate) - 1) * this.#emissionMs;
  }

  earliest(): number {
    return Math.max((this.#starts[this.#oldest] ?? Number.NEGATIVE_INFINITY) + WINDOW_MS, this.#dueAt - this.#burstToleranceMs);
  }

  record(startAt: number): void {
    this.#starts[this.#oldest] = startAt;
    this.#oldest = (this.#oldest + 1) % this.rate;
    this.#dueAt = Math.max(this.#dueAt, startAt) + this.#emissionMs;
  }

  copyFrom(other: QuotaSchedule): void {
    this.#starts = [...other.#starts];
    this.#oldest = other.#oldest;
    this.#dueAt = other.#dueAt;
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}

/** Calls that may go out at once: all of a small rate, else a sixth of it (90/s: 15). */
function burstOf(rate: number): number {
  return Math.min(rate, Math.max(MIN_BURST, Math.ceil(rate / 6)));
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
