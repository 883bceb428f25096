/**
 * The quota in one process (no REDIS_URL, and the fallback while the shared store is down):
 * the rules of schedule.ts, with waiters released in arrival order by one timer.
 */
import { UpstreamQuotaExhaustedError } from "../errors.js";
import type { UpstreamObserver } from "../types.js";
import { DEFAULT_MAX_WAIT_MS, Pacer, PermitLedger, WINDOW_MS, abortError, checkedRate, pacingParams, reportQuotaWait } from "./schedule.js";
import type { MemoryQuotaOptions, QuotaAcquireOptions, QuotaPermit, UpstreamQuota } from "./types.js";

interface Waiter {
  action: string;
  askedAt: number;
  /** Fails with UpstreamQuotaExhaustedError if still waiting then. */
  deadline: number;
  /** Estimated start, for the estimates of the waiters behind it. */
  plannedAt: number;
  observer: UpstreamObserver | undefined;
  grant(permit: QuotaPermit): void;
  fail(error: Error): void;
}

/** A quota in one process, which can also count a call it did not grant (the shared quota's fallback). */
export interface LocalQuota extends UpstreamQuota {
  /** A permit taken whatever the limit: a call already under way that must count here too. */
  hold(): QuotaPermit;
}

export function createMemoryQuota(options: MemoryQuotaOptions): LocalQuota {
  return new MemoryQuota(options);
}

class MemoryQuota implements LocalQuota {
  readonly #maxWaitMs: number;
  readonly #now: () => number;
  readonly #limit: number;
  readonly #emissionMs: number;
  readonly #ledger: PermitLedger;
  readonly #pacer: Pacer;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryQuotaOptions) {
    this.#limit = checkedRate(options.ratePerSecond);
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#now = options.now ?? (() => performance.now());
    const params = pacingParams(this.#limit);
    this.#emissionMs = params.emissionMs;
    this.#ledger = new PermitLedger(this.#limit, WINDOW_MS);
    // Every permit counts until then: nothing is granted before it (a quiet start).
    if (options.busyUntil !== undefined) this.#ledger.busyUntil(options.busyUntil);
    this.#pacer = new Pacer(params);
  }

  hold(): QuotaPermit {
    return this.#start(this.#now(), false);
  }

  acquire(action: string, options: QuotaAcquireOptions = {}): Promise<QuotaPermit> {
    const { signal, observer } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const now = this.#now();
    if (this.#queue.length === 0 && this.#startAt(now, false) <= now) return Promise.resolve(this.#start(now, false));
    // Fail at once when even the best case (every call in flight ending now) waits too long.
    const plannedAt = this.#plannedStart(now);
    if (plannedAt - now > this.#maxWaitMs) return Promise.reject(new UpstreamQuotaExhaustedError(action, this.#maxWaitMs));
    return new Promise<QuotaPermit>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(waiter);
        if (index === -1) return;
        this.#queue.splice(index, 1);
        reject(abortError(signal));
        if (index === 0) this.#wake();
      };
      const waiter: Waiter = {
        action,
        askedAt: now,
        deadline: now + this.#maxWaitMs,
        plannedAt,
        observer,
        grant: (permit) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(permit);
        },
        fail: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#wake();
    });
  }

  /** Earliest time a call may start: both a free permit and its pacing slot. */
  #startAt(now: number, queued: boolean): number {
    return Math.max(this.#ledger.nextFreeAt(now), this.#pacer.earliest(queued));
  }

  #start(now: number, queued: boolean): QuotaPermit {
    this.#ledger.take();
    this.#pacer.record(now, queued);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#ledger.give(this.#now());
        if (this.#queue.length > 0) this.#wake();
      },
    };
  }

  /** A new waiter's start if every call ended at once: paced behind the queue, and a permit. */
  #plannedStart(now: number): number {
    const last = this.#queue.at(-1);
    const pacedAt = last === undefined ? Math.max(now, this.#pacer.earliest(true)) : last.plannedAt + this.#emissionMs;
    const permitsShort = this.#ledger.used(now) + this.#queue.length + 1 - this.#limit;
    if (permitsShort <= 0) return pacedAt;
    const permitAt = this.#ledger.nthFreeAt(permitsShort, now, (index) => this.#queue[index]?.plannedAt);
    return Math.max(pacedAt, permitAt);
  }

  /** Re-runs the release loop now (a permit came back, the head left). */
  #wake(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#releaseDue();
  }

  /**
   * Releases the head while it may start; otherwise sleeps until it may, or until its
   * deadline. Without a known time (every permit in flight) it sleeps until a permit returns.
   */
  #releaseDue(): void {
    this.#timer = undefined;
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      const now = this.#now();
      const startAt = this.#startAt(now, true);
      if (startAt <= now) {
        this.#queue.shift();
        const permit = this.#start(now, true);
        reportQuotaWait(head.observer, head.action, now - head.askedAt);
        head.grant(permit);
      } else if (head.deadline <= now) {
        this.#queue.shift();
        head.fail(new UpstreamQuotaExhaustedError(head.action, this.#maxWaitMs));
      } else {
        const wakeAt = Math.min(startAt, head.deadline);
        this.#timer = setTimeout(() => this.#releaseDue(), Math.max(1, Math.ceil(wakeAt - now)));
        return;
      }
    }
  }
}
