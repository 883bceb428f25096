/**
 * What a store of call permits shared by replicas offers (the Redis store is one): take a permit
 * under given terms, or learn how long to wait; give it back when the call is over; say that
 * this replica is alive (and what share of the rate it would use alone); and, after losing the
 * store, write back the permits it still holds. The rules that pick the terms, the waiting, the
 * typed errors and the fallback while the store is down belong to the upstream client's quota,
 * which composes a store through this interface.
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

/**
 * This replica as the others see it. A replica silent for `staleMs` may be cut off from the
 * store and running on its own `share`: the others keep that share free for it until it has
 * been silent for `forgetMs` (it crashed, or stopped without saying so).
 */
export interface Presence {
  replicaId: string;
  /** Calls per second this replica allows itself when it cannot reach the store. */
  share: number;
  staleMs: number;
  forgetMs: number;
}

/** `replicas`: the replicas the store knows alive (this one included): the next share is the rate divided by it. */
export type TakeResult = ({ taken: true } | { taken: false; retryInMs: number }) & { replicas: number };

/** A permit this replica holds, as it writes it back: `remainingMs` null while its call is in flight. */
export interface HeldPermit {
  callId: string;
  remainingMs: number | null;
}

export interface PermitStore {
  /**
   * Takes a permit for `callId` when the terms allow a call now; otherwise says how long until
   * they may. `queued`: the caller already waited (paced one slot apart). Also a heartbeat.
   * Rejects with a plain Error when the store cannot be reached.
   */
  take(callId: string, terms: PermitTerms, queued: boolean, presence: Presence): Promise<TakeResult>;
  /** The call is over: its permit counts one more window, then frees. */
  give(callId: string, terms: PermitTerms): Promise<void>;
  /** This replica is alive; resolves with the replicas alive. */
  heartbeat(presence: Presence): Promise<number>;
  /**
   * Back after losing the store (an outage, or a new primary that may lack recent writes): the
   * permits this replica holds, written as they are now (a permit whose time is up is removed),
   * then a heartbeat, in one step. Resolves with the replicas alive.
   */
  rejoin(presence: Presence, permits: readonly HeldPermit[], terms: PermitTerms): Promise<number>;
  /** This replica stops (graceful shutdown): the others need not keep its share. */
  leave(replicaId: string): Promise<void>;
}
