/**
 * Case 3. Hot list: 200 concurrent clients asking the same `tasks(first: 20)`, with the default
 * configuration (freshness window CDN_CACHE_TTL_MS=1000, quota 90/s). Judged on upstream page
 * reads per 1000 queries, and on freshness while the load runs (bench/lib/freshness.ts): no
 * answer staler than the window, and a task created through this gateway in the next query.
 */
import { ACTIONS } from "../../src/upstream/types.js";
import type { BenchCase } from "../lib/case.js";
import { AUTH_HEADERS, tasksBody } from "../lib/graphql.js";
import { FreshnessProbe } from "../lib/freshness.js";
import { atMost, exactly } from "../lib/results.js";
import { processCpuMs } from "../lib/proc-stats.js";
import { round } from "../lib/stats.js";

const CLIENTS = 200;
const FRESHNESS_WINDOW_MS = 1000;

export const hotListCase: BenchCase = {
  id: "hot-list",
  name: "3. Hot list",
  target: "200 clients on one tasks(first: 20): ≤ 50 upstream calls per 1000 queries; no answer staler than the 1000 ms window; own creates visible next query",
  async run(context) {
    const { emulator, gateway } = await context.stack({ taskSeconds: 60 }, { CDN_CACHE_TTL_MS: String(FRESHNESS_WINDOW_MS) });
    const http = context.httpLoad();
    const probe = new FreshnessProbe(emulator.endpoint, context.graphql(gateway.graphqlUrl));
    const job = { url: gateway.graphqlUrl, connections: CLIENTS, headers: { ...AUTH_HEADERS }, bodies: [tasksBody(20)], checkBodies: true };

    await http.call("run", { ...job, durationMs: context.quick ? 300 : 1000 }); // warm-up
    await emulator.resetStats();
    // CPU time per query is what a busy machine inflates least (throughput swings with the neighbours).
    const cpuBefore = await processCpuMs(gateway.pid);
    const load = http.call("run", { ...job, durationMs: context.quick ? 1500 : 8000 });
    const freshness = await probe.runUntil(load);
    const result = await load;
    const cpuMs = (await processCpuMs(gateway.pid)) - cpuBefore;
    const stats = await emulator.stats();

    const pageReads = (stats.calls[ACTIONS.USAGE_DETAIL.describe] ?? 0) + (stats.calls[ACTIONS.USER_USAGE.describe] ?? 0);
    const queries = result.completed + freshness.queries;
    const perThousand = (pageReads / queries) * 1000;
    return {
      figures: {
        queries,
        queries_per_s: round(result.perSecond, 0),
        p50_ms: round(result.latencyMs.p50),
        p99_ms: round(result.latencyMs.p99),
        gateway_cpu_ms_per_query: round(cpuMs / (result.completed + freshness.queries), 3),
        upstream_page_reads: pageReads,
        upstream_calls_per_1000_queries: round(perThousand, 3),
        failed: result.failed,
        freshness_window_ms: FRESHNESS_WINDOW_MS,
        max_stale_answer_age_ms: round(freshness.maxStaleAgeMs, 1),
        max_visible_after_upstream_create_ms: round(freshness.maxVisibleAfterMs, 1),
        upstream_creates: freshness.upstreamCreates,
        gateway_creates: freshness.gatewayCreates,
        gateway_creates_not_visible_next_query: freshness.gatewayCreatesNotVisible,
      },
      ratio: perThousand / 1000,
      ratioOf: "upstream page reads per query",
      checks: [
        atMost("upstream calls per 1000 queries", perThousand, 50),
        atMost("oldest stale answer after an upstream create, ms", freshness.maxStaleAgeMs, FRESHNESS_WINDOW_MS),
        exactly("gateway-created tasks missing from the next query", freshness.gatewayCreatesNotVisible, 0),
        exactly("failed queries", result.failed, 0),
      ],
      summary: `${perThousand.toFixed(2)} upstream calls / 1000 queries at ${Math.round(result.perSecond)} q/s; stale ≤ ${Math.max(0, freshness.maxStaleAgeMs).toFixed(0)} ms`,
      notes: Object.keys(result.errorCodes).length > 0 ? [`GraphQL errors: ${JSON.stringify(result.errorCodes)}`] : [],
    };
  },
};
