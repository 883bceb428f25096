/**
 * V8 memory policy for the gateway process, applied by `main.ts` before anything else loads (so
 * it is what `npm start` runs; tests and embedders calling `startApp` keep V8's defaults).
 * Why: the live heap is ~35–40 MB (mostly code and module sources), but V8 sizes itself for the
 * machine: with a few GB of RAM it grows the young generation to 2 × 16 MB and lets the old one
 * reach up to 4 × the live heap before a full GC. Bench case 6 (64 concurrent queries) peaked at
 * 250–530 MB RSS with no leak; with this policy 140–145 MB. Each flag below is read by V8 when
 * it next needs it, so setting it at run time works (`--max-semi-space-size` and
 * `--max-old-space-size` are read only when the heap is created, i.e. on the command line):
 *
 * - `--liftoff-only`: undici's HTTP parser is WebAssembly; once hot, V8 recompiles it with
 *   TurboFan, using ~35 MB of compiler memory for a moment (a peak-RSS spike). Baseline code
 *   costs a few µs per upstream response instead.
 * - `--heap-growing-percent=20`: a full GC once the old generation has grown 20 % (in practice
 *   V8's 8 MB minimum step) past what survived the last one.
 * - young generation capped at 10 MB per semi-space: after each GC the semi-space growth factor
 *   is set so that the next growth cannot pass the cap.
 *
 * Cost: ~15–25 % more CPU per query at full load (bench cases 6 and 1), from more frequent full
 * GCs and more scavenges (a smaller young generation promotes more of the requests in flight).
 * A larger cap costs less CPU and more memory (16 MB: ~10 %, ~155 MB); so does a higher
 * percent. Allocating less per request lowers both.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

const MB = 1024 * 1024;
export const YOUNG_SEMI_SPACE_CAP_BYTES = 10 * MB;
export const OLD_GENERATION_GROWING_PERCENT = 20;

/** One semi-space's size now (new space's capacity is one semi-space: objects live in one half). */
export function semiSpaceBytes(): number {
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
  return newSpace === undefined ? 0 : newSpace.space_used_size + newSpace.space_available_size;
}

/**
 * V8 multiplies the semi-space by `--semi-space-growth-factor` (default 2) when more survived
 * scavenges than it holds; 1 stops it. The factor lets one growth reach the cap at most.
 */
export function growthFactorFor(semiBytes: number, capBytes: number): number {
  return semiBytes > 0 ? Math.max(1, Math.floor(capBytes / semiBytes)) : 1;
}

export interface HeapPolicy {
  /** Stops adjusting the young generation (the flags stay as set). */
  stop(): void;
}

export function applyHeapPolicy(capBytes = YOUNG_SEMI_SPACE_CAP_BYTES, growingPercent = OLD_GENERATION_GROWING_PERCENT): HeapPolicy {
  setFlagsFromString("--liftoff-only");
  setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
  let factor = 0;
  const adjust = (): void => {
    const next = growthFactorFor(semiSpaceBytes(), capBytes);
    if (next === factor) return;
    factor = next;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  adjust();
  // A growth needs more survivors than the grown space holds, so checking after each GC (entries
  // arrive in a batch once the current task ends) comes before the next one.
  const observer = new PerformanceObserver(adjust);
  observer.observe({ entryTypes: ["gc"] });
  return { stop: () => observer.disconnect() };
}
