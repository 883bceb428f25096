/**
 * The rules every quota follows (memory-quota.ts here in one process; the Redis permit store,
 * src/state/quota/redis-permit-store.ts, repeats them in Lua for all replicas):
 *
 * 1. Permits. At most `rate` calls may count at once, and a call counts from its release until
 *    one window (1 s) after it is over. Any one-second window of ARRIVALS at the upstream then
 *    holds at most `rate` calls, whatever happened between release and arrival: every call that
 *    arrives in [t, t + 1 s) was released before t + 1 s and ended after t, so all of them
 *    counted at once when the last of them was released. Waiting for a free connection, an
 *    event loop that runs the send late, a busy upstream that reads its socket late: each only
 *    holds the permit longer, so no safety margin is needed. (Counting from release alone, as a
 *    plain sliding log does, bench case 8 saw 109-144 arrivals in one second at a limit of 90:
 *    calls released over ~1.3 s reached the emulator within 1 s.) The one gap: a call the
 *    gateway gives up on (timeout, caller gone) may still be read by the upstream after its
 *    permit's window. The price is throughput: each call holds a permit for 1 s plus its
 *    latency, so at full load the rate is `rate` per (1 s + latency).
 *
 * 2. Pacing (GCRA). A caller that finds nobody waiting may go at once, up to a burst of
 *    `burstOf(rate)` (90/s: 15), so a fan-out of a dozen pages reads them together. Waiting
 *    callers go one per `1 s / rate`, never in catch-up bursts: after a late timer or a stretch
 *    spent waiting for permits the next waiter still goes one slot after the last one (give or
 *    take `lateSlackMs`), so no burst credit builds up while callers wait. A crowd is spread
 *    evenly over the second rather than released in clumps, which keeps connections free and
 *    the upstream's load even.
 */
import { notify } from "../retry-policy.js";
import type { UpstreamObserver } from "../types.js";

export const WINDOW_MS = 1000;
export const DEFAULT_MAX_WAIT_MS = 2000;
const MIN_BURST = 10;

export function checkedRate(ratePerSecond: number): number {
  if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1) {
    throw new RangeError("ratePerSecond must be an integer >= 1");
  }
  return ratePerSecond;
}

/** Calls that may go out at once when nobody waits: all of a small rate, else a sixth of it. */
export function burstOf(rate: number): number {
  return Math.min(rate, Math.max(MIN_BURST, Math.ceil(rate / 6)));
}

export interface PacingParams {
  /** Slot length: 1 s / rate. */
  emissionMs: number;
  /** How far ahead of the schedule a caller nobody waits before may go: (burst - 1) slots. */
  burstToleranceMs: number;
}

export function pacingParams(rate: number): PacingParams {
  const emissionMs = WINDOW_MS / rate;
  // A hair of tolerance: the schedule adds up slots of 1000/rate ms, whose float sum can land
  // a hair past (burst - 1) slots and cost the burst its last call.
  return { emissionMs, burstToleranceMs: (burstOf(rate) - 1) * emissionMs + 1e-6 };
}

/** Rule 2 in one process. */
export class Pacer {
  /** GCRA's theoretical arrival time. */
  #tat = Number.NEGATIVE_INFINITY;
  /** No waiting caller goes before this (one slot after the last waiter that went). */
  #spacedUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly params: PacingParams) {}

  /** Earliest time a call may go: `queued` for a caller that had to wait. */
  earliest(queued: boolean): number {
    const gcra = this.#tat - this.params.burstToleranceMs;
    return queued ? Math.max(gcra, this.#spacedUntil) : gcra;
  }

  record(startAt: number, queued: boolean): void {
    const { emissionMs } = this.params;
    this.#tat = Math.max(this.#tat, startAt) + emissionMs;
    this.#spacedUntil = queued
      ? Math.max(this.#spacedUntil + emissionMs, startAt + emissionMs - lateSlackMs(emissionMs))
      : Math.max(this.#spacedUntil, startAt);
  }
}

/** Rule 1 in one process: calls in flight, and when the ended ones stop counting. */
export class PermitLedger {
  #inFlight = 0;
  /** When each ended call stops counting, ascending (calls end in clock order). */
  readonly #freeAt: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Permits counting at `now` (drops those whose window has passed). */
  used(now: number): number {
    while ((this.#freeAt[0] ?? Number.POSITIVE_INFINITY) <= now) this.#freeAt.shift();
    return this.#inFlight + this.#freeAt.length;
  }

  /** When a permit is next free: `now` if one is; +Infinity while every permit is in flight. */
  nextFreeAt(now: number): number {
    if (this.used(now) < this.limit) return now;
    return this.#freeAt[0] ?? Number.POSITIVE_INFINITY;
  }

  /**
   * When the `n`-th permit from now (1-based) frees, if every call in flight ended at `now`
   * and each permit taken meanwhile were given back at once: a lower bound for estimates.
   * `takenAt(i)` is when the i-th permit still to be taken (0-based) will be, ascending.
   */
  nthFreeAt(n: number, now: number, takenAt: (index: number) => number | undefined): number {
    this.used(now);
    const ended = this.#freeAt.length;
    if (n <= ended) return this.#freeAt[n - 1] ?? now;
    if (n <= ended + this.#inFlight) return now + this.windowMs;
    const later = takenAt(n - 1 - ended - this.#inFlight);
    return later === undefined ? Number.POSITIVE_INFINITY : later + this.windowMs;
  }

  take(): void {
    this.#inFlight += 1;
  }

  give(now: number): void {
    this.#inFlight -= 1;
    this.#countUntil(now + this.windowMs);
  }

  /** Every permit counts until `until` (calls that may have gone elsewhere). */
  busyUntil(until: number): void {
    for (let i = 0; i < this.limit; i += 1) this.#countUntil(until);
  }

  /** Keeps `#freeAt` ascending: ends in clock order append, a later seed may sit ahead of them. */
  #countUntil(until: number): void {
    let index = this.#freeAt.length;
    while (index > 0 && (this.#freeAt[index - 1] ?? 0) > until) index -= 1;
    this.#freeAt.splice(index, 0, until);
  }
}

/**
 * How late a waiter may go without pushing the schedule back: setTimeout rounds up to whole
 * ms and fires a little late, and left alone that drift would cut 90/s to about 80/s. Longer
 * delays (a busy event loop, a slow Redis answer) are not made up by sending sooner.
 */
export function lateSlackMs(emissionMs: number): number {
  return Math.min(emissionMs / 2, 2);
}

/** Tells the observer how long a call waited for its slot (never inside the quota's own turn). */
export function reportQuotaWait(observer: UpstreamObserver | undefined, action: string, waitedMs: number): void {
  if (!observer?.onQuotaWait) return;
  const rounded = Math.round(waitedMs);
  notify(() => observer.onQuotaWait?.({ action, waitedMs: rounded }));
}

export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}
