/**
 * Case 6. Memory: 100,000 queries mixed from the other cases (hot list, other pages, fan-out,
 * entities, task, node, and 1 % creates) at concurrency 64, default freshness window, quota
 * raised so it measures memory rather than the limiter. Peak RSS is the kernel's high-water
 * mark (VmHWM); growth is RSS after the second half against RSS after the first.
 */
import type { BenchCase } from "../lib/case.js";
import { AUTH_HEADERS, body, createBody, entitiesBody, NODE_QUERY, pageBody, TASK_QUERY, tasksBody, type GraphQLClient } from "../lib/graphql.js";
import { atLeast, atMost } from "../lib/results.js";
import { round } from "../lib/stats.js";

const CONNECTIONS = 64;
/** With V8's default flags (no NODE_OPTIONS): what `npm start` runs. */
const PEAK_LIMIT_MB = 256;
const GROWTH_LIMIT_PERCENT = 5;
const MB = 1024 * 1024;
/** Each half of the run stops here even if its 50,000 queries are not done. */
const HALF_TIME_BOX_MS = 55_000;

interface Listed {
  edges: { node: { id: string; taskId: string } }[];
}

/** 100 bodies in a fixed interleaved order; the load hands them out in turn. */
async function mixedBodies(graphql: GraphQLClient): Promise<string[]> {
  const listed = (await graphql.data(tasksBody(100))).tasks as Listed; // TASKS_QUERY's shape
  const nodes = listed.edges.map((edge) => edge.node);
  const pick = (i: number): { id: string; taskId: string } => nodes[(i * 7) % nodes.length] ?? { id: "", taskId: "" };
  const kinds: ((i: number) => string)[] = [
    () => tasksBody(20), // hot list
    (i) => pageBody(20, 2 + (i % 5)), // other pages
    () => tasksBody(100, 25), // fan-out
    (i) => entitiesBody(Array.from({ length: 10 }, (_, k) => pick(i + k).taskId)), // entities
    (i) => body(TASK_QUERY, { taskId: pick(i).taskId }),
    (i) => body(NODE_QUERY, { id: pick(i).id }),
  ];
  const weights = [40, 15, 15, 10, 10, 9]; // + 1 create = 100
  const bodies: string[] = [];
  weights.forEach((weight, kind) => {
    for (let i = 0; i < weight; i += 1) bodies.push(kinds[kind]?.(i) ?? "");
  });
  bodies.push(createBody("memory case"));
  // Spread each kind over the cycle (stride 37 is coprime with 100).
  return bodies.map((_, i) => bodies[(i * 37) % bodies.length] ?? "");
}

export const memoryCase: BenchCase = {
  id: "memory",
  name: "6. Memory",
  target: "no growth: 100,000 mixed queries, RSS growth over the second half ≤ 5 %; peak RSS ≤ 256 MB with V8's default flags",
  async run(context) {
    const total = context.quick ? 600 : 100_000;
    const { gateway } = await context.stack({ historySize: { USAGE_DETAIL: 600, USER_USAGE: 120 } }, { CDN_RATE_LIMIT: "10000" });
    const bodies = await mixedBodies(context.graphql(gateway.graphqlUrl));
    const http = context.httpLoad();
    // Time-boxed so `npm run bench` stays under 5 minutes: a gateway too slow for 100,000 queries
    // in that time fails the query-count check instead of stretching the run.
    const half = {
      url: gateway.graphqlUrl,
      connections: CONNECTIONS,
      headers: { ...AUTH_HEADERS },
      bodies,
      checkBodies: true,
      amount: total / 2,
      maxDurationMs: context.quick ? 15_000 : HALF_TIME_BOX_MS,
    };

    const startRss = (await gateway.memory()).rssBytes;
    const first = await http.call("run", half);
    const midRss = (await gateway.memory()).rssBytes;
    const second = await http.call("run", half);
    const end = await gateway.memory();
    const growthPercent = ((end.rssBytes - midRss) / midRss) * 100;
    const queries = first.completed + second.completed;
    const peakMb = end.peakRssBytes / MB;
    const failed = first.failed + second.failed;
    const errorCodes = { ...first.errorCodes };
    for (const [code, count] of Object.entries(second.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
    return {
      figures: {
        queries,
        queries_per_s: round(queries / ((first.durationMs + second.durationMs) / 1000), 0),
        rss_start_mb: round(startRss / MB, 1),
        rss_mid_mb: round(midRss / MB, 1),
        rss_end_mb: round(end.rssBytes / MB, 1),
        peak_rss_mb: round(peakMb, 1),
        growth_second_half_percent: round(growthPercent, 2),
        failed,
      },
      ratio: peakMb / PEAK_LIMIT_MB,
      ratioOf: `peak RSS / ${PEAK_LIMIT_MB} MB`,
      checks: [
        atLeast("queries run (time box: 2 × 55 s)", queries, total),
        atMost("peak RSS, MB", peakMb, PEAK_LIMIT_MB),
        atMost("RSS growth over the second half, %", growthPercent, GROWTH_LIMIT_PERCENT),
        atMost("failed queries", failed, 0),
      ],
      summary: `peak ${peakMb.toFixed(0)} MB, second-half growth ${growthPercent.toFixed(1)} % over ${queries} queries`,
      notes: failed > 0 ? [`errors: ${JSON.stringify(errorCodes)}`] : [],
    };
  },
};
