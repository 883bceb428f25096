/**
 * Case 5. Entities: federation `_entities` with 100 `ExportTask` representations spread evenly
 * over 600 tasks (12 pages), 20 ms upstream latency. Each page that holds one may be read once;
 * read concurrently, the whole lookup fits in 3 × 20 ms.
 */
import type { BenchCase } from "../lib/case.js";
import { pageReadsOf } from "../lib/emulator.js";
import { entitiesBody, tasksBody, taskIdsOf, type GraphQLClient } from "../lib/graphql.js";
import { roundsAtLatency } from "../lib/latency-rounds.js";
import { atMost, exactly } from "../lib/results.js";
import { median, round } from "../lib/stats.js";

const LATENCY_MS = 20;
const HISTORY = 600;
const REPRESENTATIONS = 100;
const WARM_UP_QUERIES = 30;

/** All task ids, newest first (position i sits on page floor(i / 50) + 1). */
async function allTaskIds(graphql: GraphQLClient): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < HISTORY; offset += 100) ids.push(...taskIdsOf(await graphql.data(tasksBody(100, offset))));
  if (ids.length !== HISTORY) throw new Error(`expected ${HISTORY} tasks, the gateway listed ${ids.length}`);
  return ids;
}

export const entitiesCase: BenchCase = {
  id: "entities",
  name: "5. Entities",
  target: "_entities with 100 ExportTask spread over 600 tasks at 20 ms: page reads ≤ pages holding them, none twice; wall ≤ 3 × 20 ms",
  async run(context) {
    // Back-to-back lookups of 12 pages each exceed the default 90 calls/s: raise the quota so
    // this case times the scan itself (case 8 covers the quota).
    const { emulator, gateway } = await context.stack(
      { historySize: { USAGE_DETAIL: HISTORY, USER_USAGE: 0 } },
      { CDN_CACHE_TTL_MS: "0", CDN_RATE_LIMIT: "10000" },
    );
    const graphql = context.graphql(gateway.graphqlUrl);
    const direct = context.clientLoad();

    const ids = await allTaskIds(graphql);
    const step = HISTORY / REPRESENTATIONS;
    const positions = Array.from({ length: REPRESENTATIONS }, (_, i) => i * step);
    const wanted = positions.map((position) => ids[position] ?? "");
    const holdingPages = new Set(positions.map((position) => Math.floor(position / 50) + 1));
    const query = entitiesBody(wanted);

    let worstReads = 0;
    let repeatedReads = 0;
    let strayReads = 0;
    let wrongAnswers = 0;
    const viaGateway = async (): Promise<number> => {
      const { result, calls } = await emulator.recordCalls(() => graphql.post(query));
      const pages = pageReadsOf(calls).map((call) => call.page ?? 0);
      worstReads = Math.max(worstReads, pages.length);
      repeatedReads += pages.length - new Set(pages).size;
      strayReads += pages.filter((page) => !holdingPages.has(page)).length;
      const found = (result.json.data?._entities as ({ taskId?: string } | null)[] | undefined) ?? [];
      if (result.json.errors || found.map((task) => task?.taskId).join() !== wanted.join()) wrongAnswers += 1;
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
        worstReads = repeatedReads = strayReads = wrongAnswers = 0;
      },
    });
    const wallMs = median(rounds.a);
    const directMs = median(rounds.b);
    const limitMs = 3 * LATENCY_MS;
    return {
      figures: {
        gateway_wall_median_ms: round(wallMs),
        gateway_wall_max_ms: round(Math.max(...rounds.a)),
        direct_single_page_median_ms: round(directMs),
        pages_holding_them: holdingPages.size,
        page_reads_worst: worstReads,
        pages_read_twice: repeatedReads,
        pages_read_holding_none: strayReads,
        wrong_answers: wrongAnswers,
        queries: rounds.a.length,
      },
      ratio: wallMs / LATENCY_MS,
      ratioOf: "gateway wall median / upstream latency (20 ms)",
      checks: [
        atMost("gateway wall median, ms", wallMs, limitMs),
        atMost("page reads per query", worstReads, holdingPages.size),
        exactly("pages read twice in one query", repeatedReads, 0),
        exactly("wrong or incomplete answers", wrongAnswers, 0),
      ],
      summary: `${wallMs.toFixed(1)} ms, ${worstReads} page reads for ${holdingPages.size} holding pages (one direct page ${directMs.toFixed(1)} ms)`,
    };
  },
};
