/**
 * The permits one replica holds (shared-quota.ts): its calls in flight and those still counting
 * after their end, whether taken through the store or on its own share. The replica is the only
 * one who knows them all, so after losing the store it writes them back there (a new Sentinel
 * primary may lack the old one's last writes), and while alone it counts its own calls that went
 * through the store against its share.
 */
import type { HeldPermit } from "./permit-store.js";
import type { QuotaPermit } from "./types.js";

/** One permit; `countsUntil` is +Infinity while its call is in flight. */
export interface Held {
  countsUntil: number;
  /** Taken through the store (or written back there since): the store counts it too. */
  inStore: boolean;
  createdAt: number;
  /** Its count on this replica's own quota while it is alone. */
  mirror?: QuotaPermit;
}

export class HeldPermits {
  readonly #held = new Map<string, Held>();

  constructor(private readonly maxCallMs: number) {}

  add(callId: string, held: Held): Held {
    this.#held.set(callId, held);
    return held;
  }

  /** Calls in flight that went through the store: they count on `count` too from now on. */
  inFlightThroughStore(): Held[] {
    return [...this.#held.values()].filter((held) => held.inStore && held.countsUntil === Number.POSITIVE_INFINITY);
  }

  /**
   * What to write back at `now`: the chosen permits as they are (in flight, or the time they
   * still count; 0 for a store permit whose time is up, to be removed there), and the records
   * to mark as in the store once written.
   */
  writeBack(now: number, which: (held: Held) => boolean): { permits: HeldPermit[]; sent: Held[] } {
    const permits: HeldPermit[] = [];
    const sent: Held[] = [];
    for (const [callId, held] of this.#held) {
      if (!which(held)) continue;
      const remaining = held.countsUntil === Number.POSITIVE_INFINITY ? null : held.countsUntil - now;
      // Only the store's own permits need removing; ours alone that are over were never there.
      if (remaining !== null && remaining <= 0 && !held.inStore) continue;
      permits.push({ callId, remainingMs: remaining === null ? null : Math.max(0, Math.ceil(remaining)) });
      sent.push(held);
    }
    return { permits, sent };
  }

  /**
   * Drops permits nobody needs to hear of again: those over, unless the store may still count
   * them in flight and has not been told (this replica is alone), up to when it would forget them.
   */
  forgetOld(now: number, onStore: boolean): void {
    for (const [callId, held] of this.#held) {
      const over = held.countsUntil <= now;
      if (over && (onStore || !held.inStore || held.countsUntil + this.maxCallMs <= now)) this.#held.delete(callId);
    }
  }
}
