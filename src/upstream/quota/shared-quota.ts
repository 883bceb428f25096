/**
 * The quota shared by replicas through a permit store (Redis, src/state/quota/). Each replica
 * keeps its own waiters in arrival order and only the first of them asks the store, sleeping as
 * long as the store says, so a crowd of waiters costs one store call per slot, not one per waiter.
 *
 * When the store is unreachable the limit falls back to this process alone (a memory quota with
 * the same rate) rather than stopping every call; permits taken in the store are given back
 * there when it answers, and otherwise stop counting on their own after `maxCallMs`.
 */
import { randomUUID } from "node:crypto";
import type { PermitStore, PermitTerms, TakeResult } from "../../state/quota/permit-store.js";
import { UpstreamQuotaExhaustedError } from "../errors.js";
import { notify } from "../retry-policy.js";
import type { UpstreamObserver } from "../types.js";
import { createMemoryQuota } from "./memory-quota.js";
import { DEFAULT_MAX_WAIT_MS, WINDOW_MS, abortError, checkedRate, pacingParams } from "./schedule.js";
import type { QuotaAcquireOptions, QuotaPermit, SharedQuotaOptions, UpstreamQuota } from "./types.js";

/** Longer than the longest CDN_TIMEOUT_MS (120 s): a permit never expires under a live call. */
const DEFAULT_MAX_CALL_MS = 125_000;

interface Waiter {
  action: string;
  askedAt: number;
  deadline: number;
  options: QuotaAcquireOptions;
  grant(permit: QuotaPermit): void;
  fail(error: Error): void;
  /** The store failed: wait in the per-process fallback instead. */
  fallBack(): void;
}

export function createSharedQuota(options: SharedQuotaOptions): UpstreamQuota {
  return new SharedQuota(options);
}

class SharedQuota implements UpstreamQuota {
  readonly #store: PermitStore;
  readonly #terms: PermitTerms;
  readonly #fallback: UpstreamQuota;
  readonly #maxWaitMs: number;
  readonly #replicaId = randomUUID();
  #calls = 0;
  readonly #queue: Waiter[] = [];
  #polling = false;
  /** Ends the poller's current sleep early (its waiter left). */
  #interruptSleep: (() => void) | undefined;

  constructor(options: SharedQuotaOptions) {
    const rate = checkedRate(options.ratePerSecond);
    const { emissionMs, burstToleranceMs } = pacingParams(rate);
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#store = options.store;
    this.#terms = {
      limit: rate,
      windowMs: WINDOW_MS,
      slotMs: emissionMs,
      burstToleranceMs,
      maxCallMs: options.maxCallMs ?? DEFAULT_MAX_CALL_MS,
    };
    this.#fallback = createMemoryQuota({ ratePerSecond: rate, maxWaitMs: this.#maxWaitMs });
  }

  async acquire(action: string, options: QuotaAcquireOptions = {}): Promise<QuotaPermit> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    const askedAt = performance.now();
    let expectedWaitMs = this.#queue.length * this.#terms.slotMs;
    if (this.#queue.length === 0) {
      const callId = this.#nextCallId();
      let outcome: TakeResult;
      try {
        outcome = await this.#store.take(callId, this.#terms, false);
      } catch {
        return this.#fallback.acquire(action, options);
      }
      if (outcome.taken) return this.#permit(callId);
      expectedWaitMs = outcome.retryInMs;
    }
    if (expectedWaitMs > this.#maxWaitMs) throw new UpstreamQuotaExhaustedError(action, this.#maxWaitMs);
    return this.#wait(action, askedAt, options);
  }

  #nextCallId(): string {
    this.#calls += 1;
    return `${this.#replicaId}:${this.#calls}`;
  }

  #permit(callId: string): QuotaPermit {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        // Unanswered (store down): the permit stops counting after maxCallMs on its own.
        this.#store.give(callId, this.#terms).catch(() => undefined);
      },
    };
  }

  #wait(action: string, askedAt: number, options: QuotaAcquireOptions): Promise<QuotaPermit> {
    const { signal } = options;
    return new Promise<QuotaPermit>((resolve, reject) => {
      const leave = (): void => {
        signal?.removeEventListener("abort", onAbort);
        const index = this.#queue.indexOf(waiter);
        if (index !== -1) this.#queue.splice(index, 1);
        if (index === 0) this.#interruptSleep?.();
      };
      const onAbort = (): void => {
        leave();
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        action,
        askedAt,
        deadline: askedAt + this.#maxWaitMs,
        options,
        grant: (permit) => {
          leave();
          resolve(permit);
        },
        fail: (error) => {
          leave();
          reject(error);
        },
        fallBack: () => {
          leave();
          this.#fallback.acquire(action, options).then(resolve, reject);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      if (!this.#polling) void this.#poll();
    });
  }

  /** The first waiter asks the store until it gets a permit, fails or leaves; then the next. */
  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
        const callId = this.#nextCallId();
        let outcome: TakeResult;
        try {
          outcome = await this.#store.take(callId, this.#terms, true);
        } catch {
          for (const waiter of [...this.#queue]) waiter.fallBack();
          return;
        }
        const permit = outcome.taken ? this.#permit(callId) : undefined;
        if (this.#queue[0] !== head) {
          permit?.release(); // it left while the store answered
          continue;
        }
        if (permit !== undefined) {
          reportWait(head.options.observer, head.action, head.askedAt);
          head.grant(permit);
          continue;
        }
        const retryInMs = outcome.taken ? 0 : outcome.retryInMs;
        if (performance.now() + retryInMs > head.deadline) {
          head.fail(new UpstreamQuotaExhaustedError(head.action, this.#maxWaitMs));
          continue;
        }
        await this.#sleep(retryInMs);
      }
    } finally {
      this.#polling = false;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#interruptSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, Math.ceil(ms)));
      this.#interruptSleep = done;
    });
  }
}

function reportWait(observer: UpstreamObserver | undefined, action: string, askedAt: number): void {
  if (!observer?.onQuotaWait) return;
  const waitedMs = Math.round(performance.now() - askedAt);
  notify(() => observer.onQuotaWait?.({ action, waitedMs }));
}
