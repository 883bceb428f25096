/**
 * Case 9. Replicas on one Redis (a redis-server of the case's own): three gateways
 * (`node dist/main.js`, REDIS_URL, the same key prefix) against one emulator.
 * - Hot dashboard: 200 clients on a hot list (four `tasks(first: 20)` panels, pages 1-4), all on
 *   one replica, then split over three; upstream page reads per second, three ÷ one, in
 *   interleaved rounds (1, 3, 3, 1).
 * - A page from Redis: replica B reads page p, then replica A answers p from Redis (its own
 *   first tier never held it) and then from its own first tier; the added p50 is the difference,
 *   at concurrency 1. No upstream read may come from A.
 * - Redis stopped mid-run: the same 200 clients (150 on the hot list, 50 reading distinct pages
 *   so the deployment wants more than CDN_RATE_LIMIT), Redis killed 40 % in; no query may fail,
 *   and the emulator's call log must never hold more than CDN_RATE_LIMIT calls in any second.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EmulatorStats } from "../../src/emulator/types.js";
import type { BenchCase, CaseContext } from "../lib/case.js";
import { pageReadsOf, type EmulatorProcess } from "../lib/emulator.js";
import type { GatewayProcess } from "../lib/gateway.js";
import { AUTH_HEADERS, pageBody } from "../lib/graphql.js";
import type { HttpLoadJob, LoadResult } from "../lib/load-protocol.js";
import { tasksForPages } from "../lib/pages.js";
import { busiestSlidingSecond } from "../lib/rate.js";
import { startRedisServer } from "../lib/redis-server.js";
import { atMost, exactly } from "../lib/results.js";
import { quantile, round } from "../lib/stats.js";
import { ACTIONS } from "../../src/upstream/types.js";

const CLIENTS = 200;
const RATE_LIMIT = 90;
const HOT_BODIES = [1, 2, 3, 4].map((page) => pageBody(20, page));
/** Pages 11-1000 for the distinct reads (each replica its own third) and the Redis-hit probe. */
const PAGES = 1_000;

const pageReads = (stats: EmulatorStats): number => (stats.calls[ACTIONS.USAGE_DETAIL.describe] ?? 0) + (stats.calls[ACTIONS.USER_USAGE.describe] ?? 0);
/** `total` connections over `parts` replicas, as evenly as whole clients allow. */
const split = (total: number, parts: number): number[] => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

export const replicasCase: BenchCase = {
  id: "replicas",
  name: "9. Replicas",
  target:
    "3 replicas on Redis vs 1, 200 clients on a hot list: upstream calls/s ratio ≤ 1.2; Redis stopped mid-run: no failed query, ≤ CDN_RATE_LIMIT (90) upstream calls in any second; a page from Redis adds ≤ 1 ms p50 at c=1",
  async run(context) {
    const redis = await startRedisServer();
    try {
      const emulator = await context.emulator({ quotaPerSecond: 100, taskSeconds: 60, historySize: { USAGE_DETAIL: tasksForPages(PAGES), USER_USAGE: 0 } });
      const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `bench-${randomUUID()}:`, CDN_CACHE_TTL_MS: "1000", CDN_RATE_LIMIT: String(RATE_LIMIT) };
      const gateways = await Promise.all([0, 1, 2].map((i) => context.gateway({ upstream: emulator.endpoint, env }, `replica-${i}`)));
      const http = context.httpLoad();
      const hotJob = (gateway: GatewayProcess, connections: number, durationMs: number): HttpLoadJob => ({
        url: gateway.graphqlUrl,
        connections,
        headers: { ...AUTH_HEADERS },
        bodies: HOT_BODIES,
        checkBodies: true,
        durationMs,
      });

      // --- hot dashboard: one replica vs three, same 200 clients ---
      const roundMs = context.quick ? 1_000 : 6_000;
      await Promise.all(gateways.map((gateway) => http.call("run", hotJob(gateway, 20, context.quick ? 300 : 1_000))));
      const tally = { one: { reads: 0, ms: 0, queries: 0, failed: 0 }, three: { reads: 0, ms: 0, queries: 0, failed: 0 } };
      for (const shape of context.quick ? (["one", "three"] as const) : (["one", "three", "three", "one"] as const)) {
        await emulator.resetStats();
        const on = shape === "one" ? gateways.slice(0, 1) : gateways;
        const connections = split(CLIENTS, on.length);
        const results = await Promise.all(on.map((gateway, i) => http.call("run", hotJob(gateway, connections[i] ?? 0, roundMs))));
        const side = tally[shape];
        side.reads += pageReads(await emulator.stats());
        side.ms += Math.max(...results.map((r) => r.durationMs));
        side.queries += sum(results, (r) => r.completed);
        side.failed += sum(results, (r) => r.failed);
      }
      const perSecond = (side: { reads: number; ms: number }): number => (side.reads / side.ms) * 1000;
      const ratio = perSecond(tally.three) / perSecond(tally.one);

      // --- a page from Redis vs from the process, concurrency 1 ---
      const probe = await redisHitLatency(context, gateways, context.quick ? 20 : 300, emulator);

      // --- Redis stopped mid-run ---
      const outage = await redisStopped(context, gateways, emulator, () => redis.kill(), context.quick ? 3_000 : 10_000);

      return {
        figures: {
          clients: CLIENTS,
          one_replica_upstream_reads_per_s: round(perSecond(tally.one), 3),
          three_replicas_upstream_reads_per_s: round(perSecond(tally.three), 3),
          one_replica_queries: tally.one.queries,
          three_replicas_queries: tally.three.queries,
          hot_failed_queries: tally.one.failed + tally.three.failed,
          redis_hit_p50_ms: round(probe.redisP50, 3),
          process_hit_p50_ms: round(probe.localP50, 3),
          redis_hit_added_p50_ms: round(probe.redisP50 - probe.localP50, 3),
          redis_hit_pages: probe.pages,
          redis_hit_upstream_reads_beyond_b: probe.extraReads,
          outage_queries: outage.queries,
          outage_failed_queries: outage.failed,
          outage_busiest_sliding_second_calls: outage.busiest,
          outage_busiest_second_after_stop_calls: outage.busiestAfterStop,
          outage_upstream_calls_after_stop: outage.callsAfterStop,
          outage_emulator_throttled: outage.throttled,
        },
        ratio,
        ratioOf: "upstream page reads per second, 3 replicas ÷ 1 replica",
        checks: [
          atMost("upstream calls/s, 3 replicas ÷ 1 (same 200 clients)", round(ratio, 3), 1.2),
          exactly("failed hot-list queries", tally.one.failed + tally.three.failed, 0),
          atMost("added p50 of a page served from Redis, ms (c=1)", round(probe.redisP50 - probe.localP50, 3), 1),
          exactly("upstream reads for pages the other replica had read", probe.extraReads, 0),
          exactly("failed queries with Redis stopped mid-run", outage.failed, 0),
          atMost("upstream calls in any (sliding) second, Redis stopped mid-run", outage.busiest, RATE_LIMIT),
          exactly("Throttling answers from the emulator", outage.throttled, 0),
        ],
        summary:
          `${perSecond(tally.three).toFixed(2)} vs ${perSecond(tally.one).toFixed(2)} upstream reads/s (3 vs 1 replica, ratio ${ratio.toFixed(2)}); ` +
          `Redis hit +${(probe.redisP50 - probe.localP50).toFixed(2)} ms p50; Redis stopped: ${outage.failed} failed, busiest second ${outage.busiest}`,
        notes: Object.keys(outage.errorCodes).length > 0 ? [`errors with Redis stopped: ${JSON.stringify(outage.errorCodes)}`] : [],
      };
    } finally {
      await redis.kill();
    }
  },
};

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}

interface RedisHitProbe {
  redisP50: number;
  localP50: number;
  pages: number;
  extraReads: number;
}

/** Replica B reads page p; A answers p from Redis, then from its own first tier (c=1 throughout). */
async function redisHitLatency(context: CaseContext, gateways: readonly GatewayProcess[], pages: number, emulator: EmulatorProcess): Promise<RedisHitProbe> {
  const [a, b] = gateways;
  if (a === undefined || b === undefined) throw new Error("two replicas needed");
  const onA = context.graphql(a.graphqlUrl);
  const onB = context.graphql(b.graphqlUrl);
  await sleep(1_000); // the load before has drained (reads its clients gave up on land meanwhile)
  for (let i = 0; i < 50; i += 1) await onA.post(HOT_BODIES[i % HOT_BODIES.length] ?? ""); // warm connections and code paths
  const fromRedis: number[] = [];
  const fromProcess: number[] = [];
  const probed = Array.from({ length: pages }, (_, i) => 11 + i);
  const { calls } = await emulator.recordCalls(async () => {
    for (const page of probed) {
      const body = pageBody(20, page);
      await onB.data(body);
      const redisHit = await onA.post(body);
      const processHit = await onA.post(body);
      if (redisHit.json.errors !== undefined || processHit.json.errors !== undefined) throw new Error("a probe query failed");
      fromRedis.push(redisHit.ms);
      fromProcess.push(processHit.ms);
    }
  });
  // B reads each probed page once; any other read of one of them came from A.
  const probedReads = pageReadsOf(calls).filter((call) => call.page !== undefined && call.page >= 11 && call.page < 11 + pages).length;
  return { redisP50: quantile(fromRedis, 0.5), localP50: quantile(fromProcess, 0.5), pages, extraReads: probedReads - pages };
}

interface OutageReport {
  queries: number;
  failed: number;
  busiest: number;
  busiestAfterStop: number;
  callsAfterStop: number;
  throttled: number;
  errorCodes: Record<string, number>;
}

/** 150 hot-list clients and 50 distinct-page readers over three replicas; Redis killed 40 % in. */
async function redisStopped(
  context: CaseContext,
  gateways: readonly GatewayProcess[],
  emulator: EmulatorProcess,
  killRedis: () => Promise<void>,
  durationMs: number,
): Promise<OutageReport> {
  const http = context.httpLoad();
  const hot = split(150, gateways.length);
  const distinct = split(CLIENTS - 150, gateways.length);
  const third = Math.floor((PAGES - 10) / gateways.length);
  await emulator.resetStats();
  let stoppedAt = 0;
  const { result, calls } = await emulator.recordCalls(async () => {
    const runs: Promise<LoadResult>[] = gateways.flatMap((gateway, i) => [
      http.call("run", { url: gateway.graphqlUrl, connections: hot[i] ?? 0, headers: { ...AUTH_HEADERS }, bodies: HOT_BODIES, checkBodies: true, durationMs }),
      http.call("run", {
        url: gateway.graphqlUrl,
        connections: distinct[i] ?? 0,
        headers: { ...AUTH_HEADERS },
        bodies: Array.from({ length: third }, (_, p) => pageBody(1, 11 + i * third + p)),
        checkBodies: true,
        durationMs,
      }),
    ]);
    await sleep(durationMs * 0.4);
    await killRedis();
    stoppedAt = Date.now();
    return Promise.all(runs);
  });
  const times = calls.map((call) => call.atMs);
  const afterStop = times.filter((at) => at >= stoppedAt);
  const errorCodes: Record<string, number> = {};
  for (const run of result) for (const [code, count] of Object.entries(run.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
  return {
    queries: sum(result, (r) => r.completed),
    failed: sum(result, (r) => r.failed),
    busiest: busiestSlidingSecond(times),
    busiestAfterStop: busiestSlidingSecond(afterStop),
    callsAfterStop: afterStop.length,
    throttled: (await emulator.stats()).throttled,
    errorCodes,
  };
}
