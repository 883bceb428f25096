/**
 * The quota shared by replicas through a permit store (Redis, src/state/quota/). Each replica
 * keeps its own waiters in arrival order and only the first of them asks the store
 * (store-wait-queue.ts), so a crowd of waiters costs one store call per slot, not one per waiter.
 *
 * When the store is lost (it fails or misses a step's deadline), this replica goes on alone, on
 * its share: CDN_RATE_LIMIT divided by the replicas it last saw alive through the store. So that
 * the deployment still never exceeds the rate in any second:
 * - going alone, it first lets every permit granted through the store (by anyone, up to a
 *   moment it cannot know exactly) stop counting: nothing for a quiet stretch of one step
 *   deadline + `staleMs` + one window; its own calls still in flight keep counting here;
 * - while it is silent, the replicas still on the store keep its share free (the store reserves
 *   the shares of replicas silent for `staleMs`);
 * - coming back (every `heartbeatMs` it tries), it first writes into the store every permit it
 *   holds, in flight or still counting, whether taken alone or through the store: a new Sentinel
 *   primary that lost the last writes of the old one gets them back before anyone takes more.
 * A replica that never reached the store has seen no other replica: its share is the whole rate.
 */
import { randomUUID } from "node:crypto";
import { withDeadline } from "../deadline.js";
import type { PermitStore, PermitTerms, Presence, TakeResult } from "./permit-store.js";
import { UpstreamQuotaExhaustedError } from "../errors.js";
import { HeldPermits, type Held } from "./held-permits.js";
import { createMemoryQuota, type LocalQuota } from "./memory-quota.js";
import { DEFAULT_MAX_WAIT_MS, WINDOW_MS, abortError, checkedRate, pacingParams } from "./schedule.js";
import { StoreWaitQueue, type StoreAnswer } from "./store-wait-queue.js";
import type { QuotaAcquireOptions, QuotaPermit, SharedQuotaOptions, UpstreamQuota } from "./types.js";

/** Longer than the longest CDN_TIMEOUT_MS (120 s): a permit never expires under a live call. */
const DEFAULT_MAX_CALL_MS = 125_000;
/** Why a waiter on this replica's own share was moved back to the store. */
const BACK_ON_STORE = Symbol("back on the shared store");

export function createSharedQuota(options: SharedQuotaOptions): UpstreamQuota {
  return new SharedQuota(options);
}

class SharedQuota implements UpstreamQuota {
  readonly #store: PermitStore;
  readonly #terms: PermitTerms;
  readonly #rate: number;
  readonly #maxWaitMs: number;
  readonly #deadlineMs: number;
  readonly #staleMs: number;
  readonly #forgetMs: number;
  readonly #replicaId: string;
  readonly #held: HeldPermits;
  readonly #queue: StoreWaitQueue;
  readonly #aloneWaiters = new Set<AbortController>();
  #calls = 0;
  #onStore = true;
  #everReached = false;
  #replicasSeen = 1;
  /** The last two shares told to the store: alone, this replica keeps to the smaller. */
  #sentShares: [number, number];
  #alone: LocalQuota | null = null;
  #ticking = false;
  #lastContactAt = Number.NEGATIVE_INFINITY;
  readonly #timer: NodeJS.Timeout;

  constructor(options: SharedQuotaOptions) {
    const rate = checkedRate(options.ratePerSecond);
    const { emissionMs, burstToleranceMs } = pacingParams(rate);
    this.#rate = rate;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#store = options.store;
    this.#terms = { limit: rate, windowMs: WINDOW_MS, slotMs: emissionMs, burstToleranceMs, maxCallMs: options.maxCallMs ?? DEFAULT_MAX_CALL_MS };
    this.#held = new HeldPermits(this.#terms.maxCallMs);
    this.#deadlineMs = options.storeDeadlineMs ?? 250;
    this.#staleMs = options.staleMs ?? 400;
    this.#forgetMs = options.forgetMs ?? 60_000;
    this.#replicaId = options.replicaId ?? randomUUID();
    this.#sentShares = [rate, rate];
    this.#queue = new StoreWaitQueue({ maxWaitMs: this.#maxWaitMs, ask: () => this.#askForQueued(), waitAlone: (action, acquire) => this.#acquireAlone(action, acquire) });
    const heartbeatMs = options.heartbeatMs ?? 100;
    this.#timer = setInterval(() => void this.#tick(heartbeatMs), heartbeatMs);
    this.#timer.unref();
  }

  async acquire(action: string, options: QuotaAcquireOptions = {}): Promise<QuotaPermit> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    if (!this.#onStore) return this.#acquireAlone(action, options);
    const askedAt = performance.now();
    let expectedWaitMs = this.#queue.length * this.#terms.slotMs;
    if (this.#queue.length === 0) {
      const callId = this.#nextCallId();
      let outcome: TakeResult;
      try {
        outcome = await this.#take(callId, false);
      } catch {
        this.#lose(callId);
        return this.#acquireAlone(action, options);
      }
      if (outcome.taken) return this.#permit(callId, true);
      expectedWaitMs = outcome.retryInMs;
    }
    if (expectedWaitMs > this.#maxWaitMs) throw new UpstreamQuotaExhaustedError(action, this.#maxWaitMs);
    return this.#queue.wait(action, askedAt, options);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const controller of this.#aloneWaiters) controller.abort(new Error("quota closed"));
    if (this.#onStore) await withDeadline(this.#store.leave(this.#replicaId), this.#deadlineMs).catch(() => undefined);
  }

  /** The share this replica would keep to alone, as the store will have it after this call. */
  #presence(): Presence {
    const share = Math.max(1, Math.floor(this.#rate / this.#replicasSeen));
    this.#sentShares = [this.#sentShares[1], share];
    return { replicaId: this.#replicaId, share, staleMs: this.#staleMs, forgetMs: this.#forgetMs };
  }

  #reached(replicas: number): void {
    this.#everReached = true;
    this.#lastContactAt = performance.now();
    if (Number.isInteger(replicas) && replicas >= 1) this.#replicasSeen = replicas;
  }

  async #take(callId: string, queued: boolean): Promise<TakeResult> {
    const outcome = await withDeadline(this.#store.take(callId, this.#terms, queued, this.#presence()), this.#deadlineMs);
    this.#reached(outcome.replicas);
    return outcome;
  }

  #nextCallId(): string {
    this.#calls += 1;
    return `${this.#replicaId}:${this.#calls}`;
  }

  #permit(callId: string, inStore: boolean, alone?: QuotaPermit): QuotaPermit {
    const held = this.#held.add(callId, { countsUntil: Number.POSITIVE_INFINITY, inStore, createdAt: performance.now() });
    // Taken through the store just as it was lost: this replica's own count must know it too.
    if (inStore && this.#alone !== null) held.mirror = this.#alone.hold();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        held.countsUntil = performance.now() + this.#terms.windowMs;
        alone?.release();
        held.mirror?.release();
        // Unanswered, or alone: the next rejoin writes its end into the store.
        if (this.#onStore && held.inStore) withDeadline(this.#store.give(callId, this.#terms), this.#deadlineMs).catch(() => this.#lose());
      },
    };
  }

  /**
   * The store is lost: from now on, this replica's own share, after a quiet stretch. `uncertain`:
   * a take whose answer never came (it may have been granted): written back later as over.
   */
  #lose(uncertain?: string): void {
    const now = performance.now();
    if (uncertain !== undefined) this.#held.add(uncertain, { countsUntil: now + this.#terms.windowMs, inStore: true, createdAt: now });
    if (!this.#onStore) return;
    this.#onStore = false;
    const [previous, last] = this.#sentShares;
    const share = this.#everReached ? Math.min(previous, last) : this.#rate;
    const quietUntil = this.#everReached ? now + this.#deadlineMs + this.#staleMs + this.#terms.windowMs : undefined;
    const alone = createMemoryQuota({ ratePerSecond: share, maxWaitMs: this.#maxWaitMs, ...(quietUntil === undefined ? {} : { busyUntil: quietUntil }) });
    this.#alone = alone;
    for (const held of this.#held.inFlightThroughStore()) held.mirror = alone.hold();
    this.#queue.goAlone();
  }

  async #acquireAlone(action: string, options: QuotaAcquireOptions): Promise<QuotaPermit> {
    const alone = this.#alone;
    if (alone === null) return this.acquire(action, options);
    const { signal } = options;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#aloneWaiters.add(controller);
    try {
      const permit = await alone.acquire(action, { ...options, signal: controller.signal });
      if (this.#onStore) {
        // Back on the store meanwhile: a permit it has not seen must not be used.
        permit.release();
        return await this.acquire(action, options);
      }
      return this.#permit(this.#nextCallId(), false, permit);
    } catch (error) {
      if (controller.signal.reason === BACK_ON_STORE) return await this.acquire(action, options);
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#aloneWaiters.delete(controller);
    }
  }

  /** Heartbeat on the store; while alone, an attempt to rejoin it. */
  async #tick(heartbeatMs: number): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      this.#held.forgetOld(performance.now(), this.#onStore);
      if (!this.#onStore) {
        await this.#rejoin();
      } else if (performance.now() - this.#lastContactAt >= heartbeatMs / 2) {
        this.#reached(await withDeadline(this.#store.heartbeat(this.#presence()), this.#deadlineMs));
      }
    } catch {
      this.#lose();
    } finally {
      this.#ticking = false;
    }
  }

  async #rejoin(): Promise<void> {
    const startedAt = performance.now();
    await this.#writeBack(startedAt, () => true);
    this.#onStore = true;
    this.#alone = null;
    for (const controller of this.#aloneWaiters) controller.abort(BACK_ON_STORE);
    // Permits granted alone while the write-back was on its way: written too, or alone again.
    await this.#writeBack(performance.now(), (held) => !held.inStore && held.createdAt >= startedAt);
  }

  async #writeBack(now: number, which: (held: Held) => boolean): Promise<void> {
    const { permits, sent } = this.#held.writeBack(now, which);
    if (permits.length === 0 && this.#onStore) return;
    this.#reached(await withDeadline(this.#store.rejoin(this.#presence(), permits, this.#terms), this.#deadlineMs));
    for (const held of sent) held.inStore = true;
  }

  /** The first queued waiter asks the store (store-wait-queue.ts). */
  async #askForQueued(): Promise<StoreAnswer> {
    const callId = this.#nextCallId();
    try {
      const outcome = await this.#take(callId, true);
      return outcome.taken ? this.#permit(callId, true) : { retryInMs: outcome.retryInMs };
    } catch {
      this.#lose(callId);
      return "lost";
    }
  }
}
