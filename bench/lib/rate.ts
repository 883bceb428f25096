/** Busiest second in a list of event times (epoch ms, fractional). */

/** Most events in any window [t, t + 1000) — "any second", not just whole clock seconds. */
export function busiestSlidingSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= 1000) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Most events in one wall-clock second (how the emulator's quota counts). */
export function busiestCalendarSecond(times: readonly number[]): number {
  const perSecond = new Map<number, number>();
  for (const time of times) {
    const second = Math.floor(time / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return Math.max(0, ...perSecond.values());
}
