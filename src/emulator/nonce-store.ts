/**
 * Remembers signature nonces for the timestamp window (15 minutes) so a replayed request is
 * refused with `SignatureNonceUsed`. Memory is bounded twice: entries expire in insertion order
 * (a Map iterates oldest first, so sweeping stops at the first live one), and past `maxEntries`
 * the oldest is forgotten early — a replay older than that is still refused by the timestamp
 * check once it is 15 minutes old.
 */
export class NonceStore {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** True when the nonce is fresh (and is now remembered); false when seen within the window. */
  claim(key: string, now: number): boolean {
    this.sweep(now);
    const expiry = this.expiries.get(key);
    if (expiry !== undefined) {
      if (expiry > now) return false;
      this.expiries.delete(key);
    }
    this.expiries.set(key, now + this.ttlMs);
    if (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next();
      if (!oldest.done) this.expiries.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.expiries.size;
  }

  private sweep(now: number): void {
    for (const [key, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(key);
    }
  }
}
