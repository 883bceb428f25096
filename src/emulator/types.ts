/** The emulator's public face: what `npm start`, `npm run emulator` and tests hold. */

export interface EmulatorFaults {
  /** Added latency per call, in ms. */
  latencyMs: number;
  /** Fraction (0–1) of calls answered with `Throttling` (503). */
  throttleRate: number;
  /** Fraction (0–1) of calls answered with a 5xx `ServiceUnavailable`. */
  serverErrorRate: number;
  /** Fraction (0–1) of calls whose connection is destroyed without an answer. */
  dropRate: number;
  /** Fraction (0–1) of calls answered 200 with a body that is not the documented JSON. */
  malformedRate: number;
}

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  accessKeyId?: string;
  accessKeySecret?: string;
  /** Seconds a created task stays `created` before `success`. */
  taskSeconds?: number;
  /** Calls per second per AccessKey before `Throttling`. */
  quotaPerSecond?: number;
  /** Number of synthetic tasks per kind in the starting history (deterministic). */
  historySize?: number;
  faults?: Partial<EmulatorFaults>;
  /** Injected clock (ms since epoch); defaults to Date.now. */
  now?: () => number;
}

export interface EmulatorStats {
  /** Calls per action (accepted or not), since start or the last reset. */
  calls: Record<string, number>;
  /** Total calls, all actions. */
  total: number;
  /** Calls answered with Throttling by the quota (not by injected faults). */
  throttled: number;
}

export interface RunningEmulator {
  /** e.g. `http://127.0.0.1:4010` */
  url: string;
  accessKeyId: string;
  accessKeySecret: string;
  stats(): EmulatorStats;
  resetStats(): void;
  setFaults(faults: Partial<EmulatorFaults>): void;
  close(): Promise<void>;
}
