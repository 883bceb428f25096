/**
 * Case 7. Start-up: from spawning `node dist/main.js` (no credentials: the embedded emulator)
 * to the first `/ready` answering 200, polled every 5 ms. Several cold starts; median judged.
 */
import type { BenchCase } from "../lib/case.js";
import { atMost } from "../lib/results.js";
import { median, round } from "../lib/stats.js";

const LIMIT_MS = 1500;

export const startupCase: BenchCase = {
  id: "startup",
  name: "7. Start-up",
  target: "process start → /ready 200 on the embedded emulator ≤ 1.5 s",
  async run(context) {
    const starts = context.quick ? 1 : 5;
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < starts; i += 1) {
      const gateway = await context.gateway({}, "startup");
      times.push(gateway.readyAfterMs);
      cpu.push(gateway.readyCpuMs);
      await gateway.stop();
    }
    const medianMs = median(times);
    const maxMs = Math.max(...times);
    return {
      figures: { starts, ready_median_ms: round(medianMs, 1), ready_min_ms: round(Math.min(...times), 1), ready_max_ms: round(maxMs, 1), cpu_to_ready_median_ms: median(cpu) },
      ratio: medianMs / LIMIT_MS,
      ratioOf: "median start-up / 1.5 s",
      checks: [atMost("median ms from spawn to /ready 200", medianMs, LIMIT_MS)],
      summary: `median ${Math.round(medianMs)} ms (max ${Math.round(maxMs)} ms, ${Math.round(median(cpu))} ms CPU) over ${starts} cold starts`,
    };
  },
};
