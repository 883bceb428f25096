/** What the runner and the emulator host process say to each other (bench/workers/emulator-host.ts). */
import type { EmulatorFaults, EmulatorStats } from "../../src/emulator/types.js";
import type { ExportKind } from "../../src/upstream/types.js";

export interface EmulatorHostOptions {
  /** 0 = any free port. */
  port: number;
  /** Calls per second per AccessKey before `Throttling`; the bench raises it except in the quota case. */
  quotaPerSecond: number;
  historySize: Partial<Record<ExportKind, number>>;
  taskSeconds: number;
  latencyMs: number;
}

export interface EmulatorEndpoint {
  url: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/** One API call as the emulator's HTTP server received it. */
export interface CallRecord {
  /** Epoch milliseconds (fractional) when the request's headers arrived. */
  atMs: number;
  /** The `x-acs-action` header (V3 calls). */
  action: string;
  /** `PageNumber` of a Describe* call. */
  page?: number;
}

// A type alias (not an interface) so it fits rpc.ts's `Methods` record.
export type EmulatorHostMethods = {
  start(options: EmulatorHostOptions): Promise<EmulatorEndpoint>;
  /** Closes the running emulator (the host stays up for the next one). */
  stop(input: null): Promise<null>;
  stats(input: null): Promise<EmulatorStats>;
  resetStats(input: null): Promise<null>;
  setFaults(faults: Partial<EmulatorFaults>): Promise<null>;
  /** Starts a fresh call log. */
  startRecording(input: null): Promise<null>;
  /** Stops logging and hands the log over. */
  takeRecording(input: null): Promise<CallRecord[]>;
};
