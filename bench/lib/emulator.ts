/** Parent side of the emulator host process: start it, read its counters and its call log. */
import type { EmulatorStats } from "../../src/emulator/types.js";
import { ACTIONS } from "../../src/upstream/types.js";
import type { CallRecord, EmulatorEndpoint, EmulatorHostMethods, EmulatorHostOptions } from "./emulator-protocol.js";
import type { WorkerHandle } from "./rpc.js";

/** The bench never wants the emulator's 100 calls/s quota in the way, except in the quota case. */
export const UNTHROTTLED = 1_000_000;

export const DEFAULT_EMULATOR: EmulatorHostOptions = {
  port: 0,
  quotaPerSecond: UNTHROTTLED,
  historySize: { USAGE_DETAIL: 300, USER_USAGE: 120 },
  taskSeconds: 5,
  latencyMs: 0,
};

export interface EmulatorProcess {
  readonly endpoint: EmulatorEndpoint;
  readonly pid: number;
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
  setLatency(latencyMs: number): Promise<void>;
  /** Runs `work` while logging every API call the emulator receives. */
  recordCalls<T>(work: () => Promise<T>): Promise<{ result: T; calls: CallRecord[] }>;
  stop(): Promise<void>;
}

/** Starts an emulator inside the host process `worker` (bench/workers/emulator-host.ts). */
export async function startEmulatorIn(worker: WorkerHandle<EmulatorHostMethods>, options: Partial<EmulatorHostOptions> = {}): Promise<EmulatorProcess> {
  const endpoint = await worker.call("start", { ...DEFAULT_EMULATOR, ...options });
  return {
      endpoint,
      pid: worker.pid,
      stats: () => worker.call("stats", null),
      resetStats: async () => {
        await worker.call("resetStats", null);
      },
      setLatency: async (latencyMs) => {
        await worker.call("setFaults", { latencyMs });
      },
      async recordCalls(work) {
        await worker.call("startRecording", null);
        try {
          const result = await work();
          return { result, calls: await worker.call("takeRecording", null) };
        } catch (error) {
          await worker.call("takeRecording", null); // stop logging before reporting the failure
          throw error;
        }
      },
    stop: async () => {
      await worker.call("stop", null);
    },
  };
}

/** Page reads (Describe* calls) in a call log. */
export function pageReadsOf(calls: readonly CallRecord[]): CallRecord[] {
  const describe = new Set<string>([ACTIONS.USAGE_DETAIL.describe, ACTIONS.USER_USAGE.describe]);
  return calls.filter((call) => describe.has(call.action));
}
