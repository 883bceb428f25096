/**
 * A closed-loop load: `concurrency` loops, each starting its next call when the previous one
 * answered (what autocannon's connections do), until a time or a call count is reached.
 * Used by the upstream load workers (project client and official SDK).
 */
import { LatencyRecorder } from "./latency.js";
import type { LoadResult, LoadSize } from "./load-protocol.js";

export async function closedLoop(
  size: LoadSize,
  concurrency: number,
  pages: readonly number[],
  call: (page: number) => Promise<unknown>,
): Promise<LoadResult> {
  if (pages.length === 0) throw new Error("a load job needs at least one page");
  const latencies = new LatencyRecorder();
  const errorCodes: Record<string, number> = {};
  let next = 0;
  let started = 0;
  let completed = 0;
  let failed = 0;
  const startedAt = performance.now();
  const deadline = startedAt + ("durationMs" in size ? size.durationMs : (size.maxDurationMs ?? Number.POSITIVE_INFINITY));
  const amount = "amount" in size ? size.amount : Number.POSITIVE_INFINITY;

  const loop = async (): Promise<void> => {
    while (started < amount && performance.now() < deadline) {
      started += 1;
      const page = pages[next++ % pages.length] ?? 1;
      const sentAt = performance.now();
      try {
        await call(page);
      } catch (error) {
        failed += 1;
        const code = (error as { code?: unknown }).code;
        const key = typeof code === "string" ? code : error instanceof Error ? error.name : "unknown";
        errorCodes[key] = (errorCodes[key] ?? 0) + 1;
      }
      latencies.record(performance.now() - sentAt);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const durationMs = performance.now() - startedAt;
  return { completed, failed, durationMs, perSecond: (completed / durationMs) * 1000, latencyMs: latencies.summary(), errorCodes };
}
