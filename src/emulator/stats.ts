/** Per-action call counts, so tests can assert how many upstream calls a gateway query made. */
import type { EmulatorStats } from "./types.js";

export class CallStats {
  private calls = new Map<string, number>();
  private total = 0;
  private throttled = 0;

  count(action: string): void {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    this.total += 1;
  }

  countThrottled(): void {
    this.throttled += 1;
  }

  snapshot(): EmulatorStats {
    return { calls: Object.fromEntries(this.calls), total: this.total, throttled: this.throttled };
  }

  reset(): void {
    this.calls = new Map();
    this.total = 0;
    this.throttled = 0;
  }
}
