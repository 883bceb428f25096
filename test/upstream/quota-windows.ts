/** Checks shared by the quota suites: what "at most N calls in any second" means for spans. */

/** One call as the gateway saw it: released at `start`, over at `end`. */
export interface CallSpan {
  start: number;
  end: number;
}

/**
 * Most calls the upstream could have received in one window of `windowMs`: a call arrives
 * somewhere in [start, end], so every call whose span meets the window may fall inside it.
 * The count only rises where a window's end passes a start and only falls where its start
 * passes an end, so those are the windows to try.
 */
export function busiestWindow(spans: readonly CallSpan[], windowMs = 1000): number {
  const candidates = [...spans.map((span) => span.end), ...spans.map((span) => span.start - windowMs + 1e-6)];
  let best = 0;
  for (const from of candidates) {
    const count = spans.filter((span) => span.end >= from && span.start < from + windowMs).length;
    best = Math.max(best, count);
  }
  return best;
}

/** Gaps between consecutive starts, in order. */
export function gapsBetweenStarts(spans: readonly CallSpan[]): number[] {
  const starts = spans.map((span) => span.start).sort((a, b) => a - b);
  return starts.slice(1).map((start, i) => start - (starts[i] ?? start));
}
