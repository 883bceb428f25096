/**
 * Case 7. Start-up: from spawning `node dist/main.js` (no credentials: the embedded emulator)
 * to the first `/ready` answering 200, polled every 5 ms. Several cold starts; median judged.
 * Beside it, the quick start as a user types it: `npm start` (npm and the `prestart` staleness
 * check included) to the first `tasks` answer, which the README quotes (issue 13: ≤ 3 s).
 */
import type { BenchCase } from "../lib/case.js";
import { timeNpmStart } from "../lib/npm-start.js";
import { atMost } from "../lib/results.js";
import { median, round } from "../lib/stats.js";

const LIMIT_MS = 1500;
const NPM_START_LIMIT_MS = 3000;

export const startupCase: BenchCase = {
  id: "startup",
  name: "7. Start-up",
  target: "process start → /ready 200 on the embedded emulator ≤ 1.5 s; `npm start` → first tasks answer ≤ 3 s",
  async run(context) {
    const starts = context.quick ? 1 : 5;
    const times: number[] = [];
    const cpu: number[] = [];
    const npmStarts: number[] = [];
    for (let i = 0; i < starts; i += 1) {
      const gateway = await context.gateway({}, "startup");
      times.push(gateway.readyAfterMs);
      cpu.push(gateway.readyCpuMs);
      await gateway.stop();
      npmStarts.push(await timeNpmStart(context.logFile("npm-start")));
    }
    const medianMs = median(times);
    const maxMs = Math.max(...times);
    const npmMedianMs = median(npmStarts);
    return {
      figures: {
        starts,
        ready_median_ms: round(medianMs, 1),
        ready_min_ms: round(Math.min(...times), 1),
        ready_max_ms: round(maxMs, 1),
        cpu_to_ready_median_ms: median(cpu),
        npm_start_first_answer_median_ms: round(npmMedianMs, 1),
        npm_start_first_answer_max_ms: round(Math.max(...npmStarts), 1),
      },
      ratio: medianMs / LIMIT_MS,
      ratioOf: "median start-up / 1.5 s",
      checks: [atMost("median ms from spawn to /ready 200", medianMs, LIMIT_MS), atMost("median ms from `npm start` to the first answer", npmMedianMs, NPM_START_LIMIT_MS)],
      summary: `median ${Math.round(medianMs)} ms (max ${Math.round(maxMs)} ms, ${Math.round(median(cpu))} ms CPU) over ${starts} cold starts; npm start → first answer ${Math.round(npmMedianMs)} ms median`,
    };
  },
};
