/**
 * Programmable trouble for tests and benchmarks: latency, throttling, 5xx, dropped connections
 * and malformed bodies. Each rate is an independent roll of a seeded die, so a run with the
 * same seed and the same calls sees the same faults.
 */
import type { Random } from "./prng.js";
import type { EmulatorFaults } from "./types.js";

export const NO_FAULTS: Readonly<EmulatorFaults> = {
  latencyMs: 0,
  throttleRate: 0,
  serverErrorRate: 0,
  dropRate: 0,
  malformedRate: 0,
};

const RATE_FIELDS = ["throttleRate", "serverErrorRate", "dropRate", "malformedRate"] as const;

/** Omitted fields are 0; throws a RangeError naming the field when a value is out of range. */
export function completeFaults(faults: Partial<EmulatorFaults>): EmulatorFaults {
  const full = { ...NO_FAULTS, ...faults };
  if (!Number.isFinite(full.latencyMs) || full.latencyMs < 0) {
    throw new RangeError(`faults.latencyMs must be a number >= 0 (got ${full.latencyMs})`);
  }
  for (const field of RATE_FIELDS) {
    const rate = full[field];
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`faults.${field} must be between 0 and 1 (got ${rate})`);
  }
  return full;
}

/** What to do to a call before it is processed. */
export type PreFault = "drop" | "serverError" | "throttle" | undefined;

export class FaultInjector {
  private faults: EmulatorFaults;

  constructor(
    private readonly random: Random,
    initial: Partial<EmulatorFaults>,
  ) {
    this.faults = completeFaults(initial);
  }

  set(faults: Partial<EmulatorFaults>): void {
    this.faults = completeFaults(faults);
  }

  get latencyMs(): number {
    return this.faults.latencyMs;
  }

  /** Drop, 5xx and throttling: decided before the call is processed, so it has no effect. */
  beforeCall(): PreFault {
    if (this.roll(this.faults.dropRate)) return "drop";
    if (this.roll(this.faults.serverErrorRate)) return "serverError";
    if (this.roll(this.faults.throttleRate)) return "throttle";
    return undefined;
  }

  /** Malformed bodies: decided after the call took effect (the answer is lost, not the work). */
  corruptAnswer(): boolean {
    return this.roll(this.faults.malformedRate);
  }

  /** A fair coin from the same seeded die (which 5xx, which broken body). */
  coin(): number {
    return this.random();
  }

  private roll(rate: number): boolean {
    return rate > 0 && (rate >= 1 || this.random() < rate);
  }
}
