/**
 * `npm run bench`: every case in order, each with its own emulator, gateway and load processes;
 * prints a table and writes bench/results.json. `--quick` runs tiny sizes: a smoke run (CI's
 * last step) that exits 1 when a case could not run or wrote a malformed result.
 */
import { mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "./lib/build.js";
import type { BenchCase, SharedFigures } from "./lib/case.js";
import { CaseScope } from "./lib/case-scope.js";
import { parseBenchOptions, usage, type BenchOptions } from "./lib/options.js";
import { startOtlpSink, tracingEnv, type OtlpSink } from "./lib/otlp-sink.js";
import { finiteOrNull, resultsFileSchema, smokeProblems, writeResults, type CaseResult } from "./lib/results.js";
import { round } from "./lib/stats.js";
import { formatTable } from "./lib/table.js";
import { WorkerPool } from "./lib/worker-pool.js";
import { ALL_CASES } from "./cases/index.js";

const QUICK_PARALLEL_CASES = 2;

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

interface RunState {
  options: BenchOptions;
  logDir: string;
  workers: WorkerPool;
  shared: SharedFigures;
  /** `--tracing`: where every gateway sends its spans. */
  sink: OtlpSink | null;
}

async function runCase(bench: BenchCase, run: RunState): Promise<CaseResult> {
  const { options, logDir, workers, shared, sink } = run;
  const scope = new CaseScope({ caseId: bench.id, quick: options.quick, build: options.gateway, logDir, profile: options.profile, workers, shared, log, ...(sink === null ? {} : { gatewayEnv: tracingEnv(sink) }) });
  const sinkBefore = sink?.stats();
  const startedAt = performance.now();
  const base = { id: bench.id, name: bench.name, target: bench.target, quick: options.quick };
  try {
    const outcome = await bench.run(scope.context);
    const figures = Object.fromEntries(Object.entries(outcome.figures).map(([key, value]) => [key, finiteOrNull(value)]));
    return {
      ...base,
      figures,
      ratio: finiteOrNull(round(outcome.ratio, 3)),
      ratioOf: outcome.ratioOf,
      checks: outcome.checks,
      pass: outcome.checks.length > 0 && outcome.checks.every((check) => check.pass),
      summary: outcome.summary,
      notes: [...(outcome.notes ?? []), ...(sink === null || sinkBefore === undefined ? [] : [tracingNote(sink, sinkBefore)])],
      durationMs: Math.round(performance.now() - startedAt),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${bench.name} failed: ${message}`);
    return { ...base, figures: {}, ratio: null, ratioOf: "", checks: [], pass: false, summary: "", notes: [], durationMs: Math.round(performance.now() - startedAt), error: message };
  } finally {
    await scope.close();
  }
}

function tracingNote(sink: OtlpSink, before: { exports: number; bytes: number }): string {
  const now = sink.stats();
  return `tracing on (always_on, OTLP/protobuf to a local sink): ${now.exports - before.exports} exports, ${((now.bytes - before.bytes) / 1024).toFixed(0)} KiB of spans`;
}

/** Runs `work` over `items`, at most `parallel` at a time, in order of starting. */
async function inTurn<T>(items: readonly T[], parallel: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      if (item !== undefined) await work(item, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), fileURLToPath(new URL("results.json", import.meta.url)));
  if (options.help) {
    process.stdout.write(usage(ALL_CASES.map((c) => c.id)));
    return;
  }
  const cases = options.only.length === 0 ? ALL_CASES : ALL_CASES.filter((c) => options.only.includes(c.id));
  if (cases.length === 0) throw new Error(`--only matched no case (ids: ${ALL_CASES.map((c) => c.id).join(", ")})`);
  if (options.gateway === "dist" && options.build) ensureBuilt(log);
  const logDir = mkdtempSync(join(tmpdir(), "cdn-bench-"));
  log(`${options.quick ? "quick run" : "full run"}: ${cases.length} case(s), gateway from ${options.gateway}, process logs in ${logDir}`);

  const startedAt = performance.now();
  const sink = options.tracing ? await startOtlpSink() : null;
  if (sink !== null) log(`tracing on: every gateway exports every span to ${sink.url}`);
  const run: RunState = { options, logDir, workers: new WorkerPool(), shared: {}, sink };
  const results: CaseResult[] = [];
  run.workers.startCommon();
  try {
    // Full runs measure one case at a time. Quick runs only prove the harness works, so they
    // run two cases side by side (each with its own processes) to stay short.
    await inTurn(cases, options.quick ? QUICK_PARALLEL_CASES : 1, async (bench, index) => {
      log(`${bench.name} ...`);
      const result = await runCase(bench, run);
      log(`${bench.name}: ${result.pass ? "pass" : "FAIL"} (${(result.durationMs / 1000).toFixed(1)} s) ${result.summary}`);
      results[index] = result;
    });
  } finally {
    await run.workers.close();
    await sink?.close();
  }
  await writeResults(options.out, results);
  process.stdout.write(`\n${formatTable(results)}\n\nTotal ${((performance.now() - startedAt) / 1000).toFixed(0)} s; results in ${options.out}\n`);
  if (options.quick) {
    const written = resultsFileSchema.parse(JSON.parse(await readFile(options.out, "utf8")));
    const problems = smokeProblems(written, cases.map((c) => c.id));
    for (const problem of problems) log(`smoke check failed: ${problem}`);
    if (problems.length > 0) process.exitCode = 1;
  }
}

await main();
