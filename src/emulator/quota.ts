/**
 * The emulator's own call quota: N calls per AccessKey per one-second window, all actions
 * together (the upstream documents "100 calls per second per account"). This is the behaviour
 * being emulated, so it is counted here by hand rather than with a client-side limiter library.
 * Memory: one small entry per AccessKey that passed authentication.
 */
export class CallQuota {
  private readonly windows = new Map<string, { second: number; count: number }>();

  constructor(private readonly perSecond: number) {}

  /** undefined when the call is admitted; otherwise milliseconds until the next window opens. */
  take(accessKeyId: string, now: number): number | undefined {
    const second = Math.floor(now / 1000);
    let window = this.windows.get(accessKeyId);
    if (!window || window.second !== second) {
      window = { second, count: 0 };
      this.windows.set(accessKeyId, window);
    }
    if (window.count >= this.perSecond) return (second + 1) * 1000 - now;
    window.count += 1;
    return undefined;
  }
}
