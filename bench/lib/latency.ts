/** Collects per-response times (ms, fractional) and summarises them. */
import type { LatencySummary } from "./load-protocol.js";
import { mean, quantile } from "./stats.js";

export class LatencyRecorder {
  #values: number[] = [];

  record(ms: number): void {
    this.#values.push(ms);
  }

  summary(): LatencySummary {
    const values = this.#values;
    let max = 0;
    for (const value of values) if (value > max) max = value;
    return { p50: quantile(values, 0.5), p90: quantile(values, 0.9), p99: quantile(values, 0.99), mean: mean(values), max };
  }
}
