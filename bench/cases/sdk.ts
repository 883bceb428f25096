/**
 * Case 2. The project's upstream client against the official SDK `@alicloud/cdn20180510`: same
 * emulator, V3 signing both, concurrency 32, each from a load process of its own, rounds
 * interleaved. Pages rotate so the client's read sharing never merges two calls.
 */
import type { BenchCase } from "../lib/case.js";
import { cpuShares } from "../lib/cpu-share.js";
import { interleave, pairRatios } from "../lib/interleave.js";
import type { LoadResult, UpstreamLoadJob } from "../lib/load-protocol.js";
import { rotatingPages, tasksForPages } from "../lib/pages.js";
import { atLeast, exactly } from "../lib/results.js";
import { median, round } from "../lib/stats.js";
import { upstreamJob } from "../lib/upstream-job.js";

const CONCURRENCY = 32;
const PAGES = 200;

export const sdkCase: BenchCase = {
  id: "sdk",
  name: "2. Client vs official SDK",
  target: "project client ≥ 1.5 × the SDK's throughput (V3 both, concurrency 32)",
  async run(context) {
    const emulator = await context.emulator({ historySize: { USAGE_DETAIL: tasksForPages(PAGES), USER_USAGE: 0 } });
    const client = context.clientLoad();
    const sdk = context.sdkLoad();
    const job = (durationMs: number): UpstreamLoadJob => upstreamJob(emulator.endpoint, CONCURRENCY, rotatingPages(PAGES), { durationMs });
    const roundMs = context.quick ? 300 : 3000;

    await client.call("run", job(context.quick ? 200 : 1500)); // warm-up: JIT, pools
    await sdk.call("run", job(context.quick ? 200 : 1500));
    // CPU of the emulator and the load process during each round: who was the bottleneck?
    const measured = (worker: typeof client) => async (): Promise<LoadResult & { cpu: Record<string, number> }> => {
      const { result, cpuPercent } = await cpuShares({ emulator: emulator.pid, load: worker.pid }, () => worker.call("run", job(roundMs)));
      return { ...result, cpu: cpuPercent };
    };
    const rounds = await interleave(context.quick ? 1 : 4, measured(client), measured(sdk));
    const cpu = (results: { cpu: Record<string, number> }[], name: string): number => median(results.map((r) => r.cpu[name] ?? 0));
    const ratio = median(pairRatios(rounds, (a, b) => a.perSecond / b.perSecond));
    const rps = (results: LoadResult[]): number => median(results.map((r) => r.perSecond));
    const p50 = (results: LoadResult[]): number => median(results.map((r) => r.latencyMs.p50));
    const failed = [...rounds.a, ...rounds.b].reduce((sum, r) => sum + r.failed, 0);
    return {
      figures: {
        client_rps: round(rps(rounds.a), 0),
        sdk_rps: round(rps(rounds.b), 0),
        client_p50_ms: round(p50(rounds.a)),
        sdk_p50_ms: round(p50(rounds.b)),
        client_cpu_percent: round(cpu(rounds.a, "load"), 0),
        emulator_cpu_percent_client_rounds: round(cpu(rounds.a, "emulator"), 0),
        sdk_cpu_percent: round(cpu(rounds.b, "load"), 0),
        emulator_cpu_percent_sdk_rounds: round(cpu(rounds.b, "emulator"), 0),
        rounds: rounds.a.length,
        failed_calls: failed,
      },
      ratio,
      ratioOf: "client rps / SDK rps (median of interleaved rounds)",
      checks: [atLeast("client rps / SDK rps", ratio, 1.5), exactly("failed calls", failed, 0)],
      summary: `client ${Math.round(rps(rounds.a))} rps vs SDK ${Math.round(rps(rounds.b))} rps`,
    };
  },
};
