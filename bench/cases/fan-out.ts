/**
 * Case 4. Fan-out: with 50 ms upstream latency, `tasks(first: 100)` starting mid-page (offset 25:
 * pages 1, 2 and 3 of 50) must read exactly those three pages, concurrently: wall time within
 * 1.5 × 50 ms plus case 1's added latency. Interleaved with a direct single-page read at the same
 * latency, so the figure sits next to what one upstream call costs right now.
 */
import type { BenchCase } from "../lib/case.js";
import { pageReadsOf } from "../lib/emulator.js";
import { tasksBody, taskIdsOf } from "../lib/graphql.js";
import { roundsAtLatency } from "../lib/latency-rounds.js";
import { atMost, exactly } from "../lib/results.js";
import { median, round } from "../lib/stats.js";

const LATENCY_MS = 50;
const EXPECTED_PAGES = [1, 2, 3];
const WARM_UP_QUERIES = 30;

export const fanOutCase: BenchCase = {
  id: "fan-out",
  name: "4. Fan-out",
  target: "tasks(first: 100) from mid-page at 50 ms latency: exactly 3 page reads, wall ≤ 1.5 × 50 ms + case-1 overhead",
  async run(context) {
    const { emulator, gateway } = await context.stack({}, { CDN_CACHE_TTL_MS: "0" });
    const graphql = context.graphql(gateway.graphqlUrl);
    const direct = context.clientLoad();
    const query = tasksBody(100, 25);
    let wrongReads = 0;

    const viaGateway = async (): Promise<number> => {
      const { result, calls } = await emulator.recordCalls(() => graphql.post(query));
      const pages = pageReadsOf(calls).map((call) => call.page ?? 0).sort((a, b) => a - b);
      const edges = result.json.data ? taskIdsOf(result.json.data).length : 0;
      if (pages.join() !== EXPECTED_PAGES.join() || edges !== 100 || result.json.errors) wrongReads += 1;
      return result.ms;
    };
    const rounds = await roundsAtLatency({
      emulator,
      direct,
      latencyMs: LATENCY_MS,
      warmUpQueries: WARM_UP_QUERIES,
      rounds: context.quick ? 3 : 15,
      viaGateway,
      beforeRounds: () => {
        wrongReads = 0;
      },
    });
    const wallMs = median(rounds.a);
    const directMs = median(rounds.b);
    const overheadMs = context.shared.addedMedianMs ?? 1;
    const budgetMs = 1.5 * LATENCY_MS + Math.max(0, overheadMs);
    return {
      figures: {
        gateway_wall_median_ms: round(wallMs),
        gateway_wall_max_ms: round(Math.max(...rounds.a)),
        direct_single_page_median_ms: round(directMs),
        budget_ms: round(budgetMs),
        case1_overhead_ms: round(overheadMs, 3),
        queries: rounds.a.length,
        queries_not_reading_exactly_pages_1_2_3: wrongReads,
      },
      ratio: wallMs / directMs,
      ratioOf: "gateway 3-page wall / direct 1-page read (median, interleaved)",
      checks: [atMost("gateway wall median, ms", wallMs, budgetMs), exactly("queries not reading exactly pages 1, 2, 3 once", wrongReads, 0)],
      summary: `${wallMs.toFixed(1)} ms for 3 pages (one direct page ${directMs.toFixed(1)} ms); budget ${budgetMs.toFixed(1)} ms`,
      notes: context.shared.addedMedianMs === undefined ? ["case 1 did not run: its 1 ms target stands in for its overhead"] : [],
    };
  },
};
