/** The quota's public shapes (re-exported by index.ts). */
import type { PermitStore } from "./permit-store.js";
import type { UpstreamObserver } from "../types.js";

export interface QuotaAcquireOptions {
  observer?: UpstreamObserver;
  signal?: AbortSignal;
}

/**
 * One call's share of the quota, held from the moment the call may go out until it is over.
 * The upstream counts a call when it arrives, which the gateway never sees; it only knows the
 * call arrived somewhere between its release and its answer. So the call counts for the whole
 * of that span and one window beyond it.
 */
export interface QuotaPermit {
  /** The call is over (answered, failed or abandoned). Idempotent. */
  release(): void;
}

export interface UpstreamQuota {
  /**
   * Resolves when one call may go out now; rejects with UpstreamQuotaExhaustedError, or with
   * the signal's reason when aborted while waiting. The caller must release the permit when
   * the call is over, whatever its outcome.
   */
  acquire(action: string, options?: QuotaAcquireOptions): Promise<QuotaPermit>;
  /** Stops background work (a shared quota's heartbeat) and says goodbye to the other replicas. */
  close?(): Promise<void>;
}

export interface QuotaOptions {
  /** Calls per second allowed for everything sharing this quota (an integer >= 1). */
  ratePerSecond: number;
  /** Longest a call waits for a slot before failing. Default 2000. */
  maxWaitMs?: number;
}

export interface MemoryQuotaOptions extends QuotaOptions {
  /** Monotonic clock in ms (tests inject one). Default `performance.now`. */
  now?: () => number;
  /** Grant nothing before this time on `now`'s clock (every permit counts until then). */
  busyUntil?: number;
}

export interface SharedQuotaOptions extends QuotaOptions {
  /** Where replicas share permits (the Redis store of src/state/quota/). */
  store: PermitStore;
  /**
   * How long a permit counts when its replica never gives it back (crashed mid-call). Must be
   * longer than any call can take: default 125 000 (the largest CDN_TIMEOUT_MS is 120 000).
   */
  maxCallMs?: number;
  /** This replica's name among the others (presence). Default a random UUID. */
  replicaId?: string;
  /** How often a replica tells the store it is alive (a take counts too). Default 100. */
  heartbeatMs?: number;
  /** Silent this long, a replica may be on its own share: the others keep it free. Default 400. */
  staleMs?: number;
  /** Silent this long, a replica is forgotten (crashed): its share is free again. Default 60 000. */
  forgetMs?: number;
  /** Deadline of one store step; past it the store counts as lost. Default 250. */
  storeDeadlineMs?: number;
}
