/** The emulator's public face: what `npm start`, `npm run emulator` and tests hold. */
import type { ExportKind } from "../upstream/types.js";
import type { WorkbookShape } from "./workbook-shape.js";

export interface EmulatorFaults {
  /** Added latency per call, in ms. */
  latencyMs: number;
  /** Fraction (0–1) of calls answered with `Throttling` (503). */
  throttleRate: number;
  /** Fraction (0–1) of calls answered with a 5xx (`ServiceUnavailable` 503 or `InternalError` 500). */
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
  /**
   * Synthetic tasks in the starting history (deterministic): one number for each kind, or per
   * kind. Default `{ USAGE_DETAIL: 300, USER_USAGE: 120 }`; 0 starts empty.
   */
  historySize?: number | Partial<Record<ExportKind, number>>;
  /** Seed of the synthetic history and of fault dice; same seed + same clock → same history. */
  seed?: number;
  /**
   * STS mode: when set, every call must carry this token (`x-acs-security-token` / `SecurityToken`).
   * When unset, calls must carry none (a token for a permanent AccessKey is a mismatch).
   */
  securityToken?: string;
  faults?: Partial<EmulatorFaults>;
  /** Layout of the usage-detail workbooks (workbook-shape.ts); default: header in row 1, UTC times, bytes, bps. */
  workbookShape?: Partial<WorkbookShape>;
  /** Injected clock (ms since epoch); defaults to Date.now. */
  now?: () => number;
  /** Told about a bug inside the emulator (the caller got `InternalError` 500); default: ignored. */
  onInternalError?: (error: unknown) => void;
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
  /** The STS token calls must carry, when started with one. */
  securityToken?: string;
  stats(): EmulatorStats;
  resetStats(): void;
  /** Replaces the whole fault picture: omitted fields become 0 (`setFaults({})` clears all). */
  setFaults(faults: Partial<EmulatorFaults>): void;
  close(): Promise<void>;
}
