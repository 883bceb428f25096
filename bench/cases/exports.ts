/**
 * Case 10. Export contents (issue 14): reading finished usage-detail exports.
 * - Parse: a 100k-row export read into the cached form, against exceljs's streaming reader alone
 *   iterating the same file's rows and doing nothing; each read in a fresh process, rounds
 *   interleaved, in rows per CPU second (a shared machine inflates CPU time least) and rows per
 *   wall second (the issue's rows per second); the check holds the lower of the two.
 * - Memory: the 31-day, 100-domain export (892,800 rows) read in a fresh process: peak RSS added
 *   (VmHWM − RSS before), and the cached form's bytes per row.
 * - Cached answers, through a gateway process: `usage(interval: HOUR) { summary points(first: 744) }`
 *   at concurrency 1, and the CSV route's throughput, over the same 31-day file.
 * - Sharing: 50 concurrent first requests for one file on one gateway; 3 gateways on one Redis
 *   asking at once (downloads counted by the file server, parses by the gateways' logs).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Redis } from "ioredis";
import { request } from "undici";
import type { BenchCase, CaseContext } from "../lib/case.js";
import { benchWorkbook, startExportUpstream, type BenchWorkbook } from "../lib/export-fixtures.js";
import { REPO_ROOT } from "../lib/gateway.js";
import { AUTH_HEADERS, body } from "../lib/graphql.js";
import { interleave, pairRatios } from "../lib/interleave.js";
import { atLeast, atMost, exactly } from "../lib/results.js";
import { median, quantile, round } from "../lib/stats.js";

const MB = 1_000_000;
const MIB = 1024 * 1024;
const REDIS_URL = process.env["BENCH_REDIS_URL"] ?? "redis://127.0.0.1:6379";
/** The README's chart-ready query (a FLOW export: traffic and bandwidth per hour, the month's figures). */
const CHART = `query Chart($taskId: String!) { task(taskId: $taskId) { fileType usage(interval: HOUR) {
  usageType domains from to
  summary { trafficBytes peakBandwidthBps peakAt p95BandwidthBps }
  points(first: 744) { totalCount pageInfo { hasNextPage endCursor } edges { node { time trafficBytes bandwidthBps } } } } } }`;
const SUMMARY = `query Summary($taskId: String!) { task(taskId: $taskId) { usage(interval: DAY) { summary { trafficBytes } } } }`;

interface ParseRun {
  rows: number;
  ms: number;
  cpuMs: number;
  rssBefore: number;
  peakRss: number;
  dataRows?: number;
  formBytes?: number;
  usageBytes?: number;
}

/** One read in a fresh process (bench/workers/export-parse.ts). */
function parseIn(mode: "exceljs" | "gateway", path: string): Promise<ParseRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/workers/export-parse.ts", mode, path], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as ParseRun);
      else reject(new Error(`export-parse ${mode} exited ${code}: ${err.slice(-500)}`));
    });
  });
}

async function csvRead(url: string): Promise<{ bytes: number; ms: number }> {
  const startedAt = performance.now();
  const response = await request(url, { headers: AUTH_HEADERS });
  if (response.statusCode !== 200) throw new Error(`CSV route answered ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Buffer).length;
  return { bytes, ms: performance.now() - startedAt };
}

async function parsesLogged(logFiles: readonly string[], taskId: string): Promise<number> {
  let count = 0;
  for (const file of logFiles) {
    for (const line of (await readFile(file, "utf8")).split("\n")) {
      if (line.includes('"export file read"') && line.includes(`"USAGE_DETAIL:${taskId}"`)) count += 1;
    }
  }
  return count;
}

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function parseFigures(context: CaseContext, medium: BenchWorkbook, large: BenchWorkbook) {
  const rounds = context.quick ? 1 : 3;
  const ab = await interleave(rounds, () => parseIn("gateway", medium.path), () => parseIn("exceljs", medium.path));
  // Rows per second of each over the same file: the ratio is exceljs's time over ours, in CPU
  // time and in wall time.
  const ratios = pairRatios(ab, (gateway, exceljs) => exceljs.cpuMs / gateway.cpuMs);
  const wallRatios = pairRatios(ab, (gateway, exceljs) => exceljs.ms / gateway.ms);
  const rowsPerCpuS = (runs: ParseRun[]) => median(runs.map((run) => run.rows / (run.cpuMs / 1000)));
  context.log(`parse ratios (CPU) ${ratios.map((r) => r.toFixed(3)).join(" ")}, wall ${wallRatios.map((r) => r.toFixed(3)).join(" ")}`);
  const big = await parseIn("gateway", large.path);
  const [cpuRatio, wallRatio] = [median(ratios), median(wallRatios)];
  // What the check holds: the lower, so neither way of counting time flatters the reader.
  const ratio = Math.min(cpuRatio, wallRatio);
  return { ratio, cpuRatio, wallRatio, gatewayRowsPerS: rowsPerCpuS(ab.a), exceljsRowsPerS: rowsPerCpuS(ab.b), big };
}

export const exportsCase: BenchCase = {
  id: "exports",
  name: "10. Export contents",
  target:
    "parse ≥ 0.8 × exceljs's reader alone (rows/s); the 31-day 100-domain file adds ≤ 150 MB peak RSS, cached form ≤ 40 B/row; " +
    "usage(HOUR) summary + 744 points p50 ≤ 5 ms at c=1; CSV ≥ 50 MB/s; 50 concurrent first requests → 1 download; 3 replicas on Redis → 1 download, 1 parse",
  async run(context) {
    const [days, domains] = context.quick ? [1, 20] : [31, 100];
    const large = await benchWorkbook(days, domains, context.log);
    const medium = await benchWorkbook(context.quick ? 1 : 10, context.quick ? 10 : 35, context.log);
    const parse = await parseFigures(context, medium, large);
    const big = parse.big;
    const peakAddedMb = (big.peakRss - big.rssBefore) / MIB;
    const bytesPerRow = (big.formBytes ?? Number.NaN) / (big.dataRows ?? Number.NaN);
    const usageBytesPerRow = (big.usageBytes ?? Number.NaN) / (big.dataRows ?? Number.NaN);

    const upstream = await startExportUpstream([
      { taskId: "31", workbook: large },
      { taskId: "200", workbook: medium },
      { taskId: "201", workbook: medium },
    ]);
    const notes: string[] = [];
    try {
      const env = { EXPORT_FETCH_TIMEOUT_MS: "600000" };
      const endpoint = { url: upstream.origin, accessKeyId: "bench-exports", accessKeySecret: "bench-exports-secret" };
      const gateway = await context.gateway({ upstream: endpoint, env }, "exports");
      const graphql = context.graphql(gateway.graphqlUrl);
      const chart = body(CHART, { taskId: "31" });
      const first = await graphql.post(chart);
      if (first.json.errors !== undefined) throw new Error(`chart query failed: ${JSON.stringify(first.json.errors).slice(0, 300)}`);
      const points = (first.json.data as { task: { usage: { points: { totalCount: number } } } }).task.usage.points.totalCount;
      const latencies: number[] = [];
      for (let i = 0; i < (context.quick ? 20 : 220); i++) {
        const answer = await graphql.post(chart);
        if (answer.status !== 200 || answer.json.errors !== undefined) throw new Error("chart query failed");
        if (i >= 20 || context.quick) latencies.push(answer.ms);
      }
      const p50 = quantile(latencies, 0.5);

      const csvUrl = `${gateway.graphqlUrl.replace(/\/graphql$/, "")}/exports/usage-detail/31.csv`;
      const csvRuns = [];
      for (let i = 0; i < (context.quick ? 1 : 3); i++) csvRuns.push(await csvRead(csvUrl));
      const csvMbPerS = median(csvRuns.map((run) => run.bytes / MB / (run.ms / 1000)));

      const concurrent = await Promise.all(Array.from({ length: 50 }, () => graphql.post(body(SUMMARY, { taskId: "200" }))));
      const concurrentFailed = concurrent.filter((answer) => answer.status !== 200 || answer.json.errors !== undefined).length;
      const concurrentDownloads = upstream.downloads("200");

      let replicaDownloads = Number.NaN;
      let replicaParses = Number.NaN;
      let replicaFailed = Number.NaN;
      if (await redisReachable()) {
        const prefix = `bench-exports-${randomUUID()}:`;
        try {
          const redisEnv = { ...env, REDIS_URL, REDIS_KEY_PREFIX: prefix };
          const replicas = await Promise.all([1, 2, 3].map((n) => context.gateway({ upstream: endpoint, env: redisEnv }, `replica${n}`)));
          const clients = replicas.map((replica) => context.graphql(replica.graphqlUrl));
          const answers = await Promise.all(clients.flatMap((client) => Array.from({ length: 10 }, () => client.post(body(SUMMARY, { taskId: "201" })))));
          replicaFailed = answers.filter((answer) => answer.status !== 200 || answer.json.errors !== undefined).length;
          replicaDownloads = upstream.downloads("201");
          replicaParses = await parsesLogged(replicas.map((replica) => replica.logFile), "201");
        } finally {
          await deleteKeys(prefix);
        }
      } else notes.push(`no Redis at ${REDIS_URL}: the replica figures are missing (set BENCH_REDIS_URL)`);

      return {
        figures: {
          parse_rows: medium.rows,
          gateway_parse_rows_per_cpu_s: round(parse.gatewayRowsPerS, 0),
          exceljs_rows_per_cpu_s: round(parse.exceljsRowsPerS, 0),
          parse_ratio_cpu: round(parse.cpuRatio, 3),
          parse_ratio_wall: round(parse.wallRatio, 3),
          large_rows: big.dataRows ?? Number.NaN,
          large_file_mb: round(large.bytes / MB, 1),
          large_parse_s: round(big.ms / 1000, 1),
          large_peak_rss_added_mb: round(peakAddedMb, 1),
          cached_form_bytes_per_row: round(bytesPerRow, 2),
          usage_columns_bytes_per_row: round(usageBytesPerRow, 2),
          first_chart_query_s: round(first.ms / 1000, 1),
          chart_points: points,
          chart_p50_ms: round(p50, 2),
          chart_p90_ms: round(quantile(latencies, 0.9), 2),
          csv_mb: round((csvRuns[0]?.bytes ?? Number.NaN) / MB, 1),
          csv_mb_per_s: round(csvMbPerS, 1),
          concurrent_first_requests: concurrent.length,
          concurrent_downloads: concurrentDownloads,
          concurrent_failed: concurrentFailed,
          replica_downloads: replicaDownloads,
          replica_parses: replicaParses,
          replica_failed: replicaFailed,
        },
        ratio: parse.ratio,
        ratioOf: "parse rows/s / exceljs streaming reader alone, the lower of CPU and wall time",
        checks: [
          atLeast("parse rows/s ÷ exceljs reader alone (the lower of CPU and wall time)", parse.ratio, 0.8),
          atMost("peak RSS added parsing the large file, MB", peakAddedMb, 150),
          atMost("cached form, bytes per row", bytesPerRow, 40),
          exactly("hourly points of the large file", points, days * 24),
          atMost("usage(HOUR) summary + points p50, ms", p50, 5),
          atLeast("CSV route, MB/s", csvMbPerS, 50),
          exactly("downloads for 50 concurrent first requests", concurrentDownloads, 1),
          exactly("failed concurrent first requests", concurrentFailed, 0),
          exactly("downloads, 3 replicas on Redis", replicaDownloads, 1),
          exactly("parses, 3 replicas on Redis", replicaParses, 1),
          exactly("failed requests, 3 replicas on Redis", replicaFailed, 0),
        ],
        summary:
          `parse ${parse.cpuRatio.toFixed(2)}× exceljs (rows per CPU s), ${parse.wallRatio.toFixed(2)}× (rows per wall s); +${peakAddedMb.toFixed(0)} MB peak, ${bytesPerRow.toFixed(1)} B/row; ` +
          `chart p50 ${p50.toFixed(2)} ms; CSV ${csvMbPerS.toFixed(0)} MB/s; downloads ${concurrentDownloads} (50 at once), ${replicaDownloads}/${replicaParses} (3 replicas)`,
        notes,
      };
    } finally {
      await upstream.close();
    }
  },
};
