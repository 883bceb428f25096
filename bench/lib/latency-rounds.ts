/**
 * Cases 4 and 5 measure one gateway query against one direct page read at a fixed emulator
 * latency: warm up at zero latency (connections, JIT: a deployed gateway is warm), then set the
 * case's latency and interleave the two.
 */
import type { EmulatorProcess } from "./emulator.js";
import { interleave, type Interleaved } from "./interleave.js";
import type { UpstreamLoadMethods } from "./load-protocol.js";
import type { WorkerHandle } from "./rpc.js";
import { upstreamJob } from "./upstream-job.js";

export interface LatencyRoundsOptions {
  emulator: EmulatorProcess;
  direct: WorkerHandle<UpstreamLoadMethods>;
  latencyMs: number;
  warmUpQueries: number;
  rounds: number;
  /** One gateway query; resolves to its wall time in ms. */
  viaGateway: () => Promise<number>;
  /** Called after the warm-up, before the measured rounds (reset the case's counters). */
  beforeRounds: () => void;
}

export async function roundsAtLatency(options: LatencyRoundsOptions): Promise<Interleaved<number, number>> {
  const { emulator, direct, viaGateway } = options;
  const directRead = async (): Promise<number> =>
    (await direct.call("run", upstreamJob(emulator.endpoint, 1, [1], { amount: 1 }))).latencyMs.p50;
  for (let i = 0; i < options.warmUpQueries; i += 1) await viaGateway();
  await directRead();
  await emulator.setLatency(options.latencyMs);
  options.beforeRounds();
  return interleave(options.rounds, viaGateway, directRead);
}
