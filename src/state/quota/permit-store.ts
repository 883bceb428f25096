/**
 * What a store of call permits shared by replicas offers (the Redis store is one): take a permit
 * under given terms, or learn how long to wait; give it back when the call is over. The rules
 * that pick the terms, the waiting, the typed errors and the fallback while the store is down
 * belong to the upstream client's quota, which composes a store through this interface.
 */

/** The numbers a permit is taken under, all in milliseconds but `limit`. */
export interface PermitTerms {
  /** Permits that may count at once. */
  limit: number;
  /** How long a call keeps counting after it is over. */
  windowMs: number;
  /** Pacing slot for callers that waited: no two of them go closer together than this. */
  slotMs: number;
  /** How far ahead of the pacing schedule a caller nobody waits before may go (the burst). */
  burstToleranceMs: number;
  /** How long a permit counts when it is never given back (its replica crashed mid-call). */
  maxCallMs: number;
}

export type TakeResult = { taken: true } | { taken: false; retryInMs: number };

export interface PermitStore {
  /**
   * Takes a permit for `callId` when the terms allow a call now; otherwise says how long until
   * they may. `queued`: the caller already waited (paced one slot apart). Rejects with a plain
   * Error when the store cannot be reached.
   */
  take(callId: string, terms: PermitTerms, queued: boolean): Promise<TakeResult>;
  /** The call is over: its permit counts one more window, then frees. */
  give(callId: string, terms: PermitTerms): Promise<void>;
}
