/** Which upstream pages a throughput run reads in turn. */

/**
 * Pages 1..count in turn. With many more pages than concurrent calls, no two calls in flight ask
 * for the same page, so neither the client's nor the gateway's read sharing can merge them:
 * every call is one upstream call, on both sides of a comparison.
 */
export function rotatingPages(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** History (tasks) the emulator needs for `pages` full pages of 50. */
export const tasksForPages = (pages: number): number => pages * 50;
