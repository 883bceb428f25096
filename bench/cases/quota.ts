/**
 * Case 8. Quota: 1000 queries that each need a distinct page read (page i of 1000), 200 at a
 * time, against the gateway's default CDN_RATE_LIMIT (90/s) and the emulator's real 100/s quota.
 * The emulator's call log (exact arrival times) gives the busiest second, sliding and calendar;
 * its own counter says whether it ever answered `Throttling`.
 */
import type { BenchCase } from "../lib/case.js";
import { pageReadsOf } from "../lib/emulator.js";
import { AUTH_HEADERS, pageBody } from "../lib/graphql.js";
import { rotatingPages, tasksForPages } from "../lib/pages.js";
import { busiestCalendarSecond, busiestSlidingSecond } from "../lib/rate.js";
import { atMost, exactly } from "../lib/results.js";
import { round } from "../lib/stats.js";

const RATE_LIMIT = 90;
const EMULATOR_QUOTA = 100;
const CONCURRENCY = 200;

export const quotaCase: BenchCase = {
  id: "quota",
  name: "8. Quota",
  target: "1000 distinct page reads at concurrency 200: ≤ CDN_RATE_LIMIT (90) upstream calls in any second, no Throttling",
  async run(context) {
    const queries = context.quick ? 120 : 1000;
    const { emulator, gateway } = await context.stack(
      { quotaPerSecond: EMULATOR_QUOTA, historySize: { USAGE_DETAIL: tasksForPages(queries), USER_USAGE: 0 } },
      { CDN_RATE_LIMIT: String(RATE_LIMIT) },
    );
    const http = context.httpLoad();
    // The start-up readiness probe's call went through the same quota: no need to wait it out.
    await emulator.resetStats();

    const bodies = rotatingPages(queries).map((page) => pageBody(1, page));
    const { result, calls } = await emulator.recordCalls(() =>
      // autocannon refuses more connections than requests (quick runs send fewer than 200).
      http.call("run", { url: gateway.graphqlUrl, connections: Math.min(CONCURRENCY, queries), headers: { ...AUTH_HEADERS }, bodies, checkBodies: true, amount: queries }),
    );
    const stats = await emulator.stats();
    const times = calls.map((call) => call.atMs);
    const sliding = busiestSlidingSecond(times);
    const calendar = busiestCalendarSecond(times);
    const pageReads = pageReadsOf(calls).length;
    const errors = Object.entries(result.errorCodes).map(([code, count]) => `${code} ×${count}`);
    return {
      figures: {
        queries: result.completed,
        upstream_calls: calls.length,
        distinct_pages_read: new Set(pageReadsOf(calls).map((call) => call.page)).size,
        duration_ms: round(result.durationMs, 0),
        busiest_sliding_second_calls: sliding,
        busiest_calendar_second_calls: calendar,
        emulator_throttled: stats.throttled,
        failed_queries: result.failed,
        p50_ms: round(result.latencyMs.p50),
        p99_ms: round(result.latencyMs.p99),
      },
      ratio: sliding / RATE_LIMIT,
      ratioOf: "busiest sliding second / CDN_RATE_LIMIT",
      checks: [atMost("upstream calls in any (sliding) second", sliding, RATE_LIMIT), exactly("Throttling answers from the emulator", stats.throttled, 0)],
      summary: `busiest second ${sliding} calls (limit ${RATE_LIMIT}), ${stats.throttled} Throttling, ${pageReads} page reads, ${result.failed} failed queries`,
      notes: errors.length > 0 ? [`gateway answered errors: ${errors.join(", ")}`] : [],
    };
  },
};
