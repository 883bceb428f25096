/**
 * The entity scan's waves: which pages a batch of lookups reads, and in how many round trips.
 * A wave is the set of reads started together (all in flight before any answers).
 */
import { describe, expect, test } from "vitest";
import { TaskLookup, waveSize } from "../../src/reading/entity-scan.js";
import { PageLoader } from "../../src/reading/page-loader.js";
import { RECENT_TOTAL_MAX_AGE_MS, RecentTotals } from "../../src/reading/recent-totals.js";
import type { ExportKind } from "../../src/upstream/types.js";
import { createFakeApi, fakeTask, type FakeApi } from "../helpers/fake-api.js";

const KIND: ExportKind = "USAGE_DETAIL";

/** Groups the page reads of `api` into waves from now on. */
function recordWaves(api: FakeApi): number[][] {
  const waves: number[][] = [];
  const read = api.describeTasks.bind(api);
  let inFlight = 0;
  api.describeTasks = async (kind, page, options) => {
    if (inFlight === 0) waves.push([]);
    waves.at(-1)?.push(page.pageNumber);
    inFlight += 1;
    try {
      return await read(kind, page, options);
    } finally {
      inFlight -= 1;
    }
  };
  return waves;
}

/** One request's lookup of the tasks at these list positions (task `d<i>` sits at position i). */
async function lookUp(api: FakeApi, totals: RecentTotals, positions: readonly number[], maxPages?: number) {
  const lookup = new TaskLookup(new PageLoader(api, { recentTotals: totals }), maxPages === undefined ? {} : { maxPages });
  const found = await lookup.loadMany(positions.map((i) => ({ kind: KIND, taskId: `d${i}` })));
  return found.map((task) => task?.taskId ?? null);
}

/** An earlier request of the same app that read page 1, so the next one knows the total. */
async function earlierRequest(api: FakeApi, totals: RecentTotals): Promise<void> {
  await new PageLoader(api, { recentTotals: totals }).load(KIND, 1);
}

/** 100 positions spread evenly over 600 tasks: 12 pages, every one holding some (bench case 5). */
const SPREAD = Array.from({ length: 100 }, (_, i) => i * 6);

function sorted(pages: readonly number[]): number[] {
  return [...pages].sort((a, b) => a - b);
}

describe("entity scan waves", () => {
  test("a dense batch with a recent total reads every holding page in one wave", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 600 });
    await earlierRequest(api, totals);
    const waves = recordWaves(api);
    const found = await lookUp(api, totals, SPREAD);
    expect(found).toEqual(SPREAD.map((i) => `d${i}`));
    expect(waves.map(sorted)).toEqual([Array.from({ length: 12 }, (_, i) => i + 1)]);
  });

  test("without a recent total, page 1 goes alone, then the rest in one wave sized by the hit rate", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 600 });
    const waves = recordWaves(api);
    await lookUp(api, totals, SPREAD);
    expect(waves.map(sorted)).toEqual([[1], Array.from({ length: 11 }, (_, i) => i + 2)]);
  });

  test("a sparse batch keeps doubling from page 1 even with a recent total", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 1000 });
    await earlierRequest(api, totals);
    const waves = recordWaves(api);
    // d260 is on page 6.
    expect(await lookUp(api, totals, [260])).toEqual(["d260"]);
    expect(waves.map(sorted)).toEqual([[1], [2], [3, 4], [5, 6, 7, 8]]);
  });

  test("a small batch's first wave reads one page per two ids, from page 1", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 1000 });
    await earlierRequest(api, totals);
    const waves = recordWaves(api);
    expect(await lookUp(api, totals, [1, 2, 3, 4, 5])).toEqual(["d1", "d2", "d3", "d4", "d5"]);
    expect(waves.map(sorted)).toEqual([[1, 2, 3]]);
  });

  test("missing ids read each page up to the total once, then stop", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 230 });
    await earlierRequest(api, totals);
    const waves = recordWaves(api);
    const found = await lookUp(api, totals, [0, 5000, 5001, 5002]);
    expect(found).toEqual(["d0", null, null, null]);
    expect(sorted(waves.flat())).toEqual([1, 2, 3, 4, 5]);
  });

  test("maxPages bounds a dense scan of a long list", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 5000 });
    await earlierRequest(api, totals);
    const waves = recordWaves(api);
    const missing = Array.from({ length: 100 }, (_, i) => 10_000 + i);
    await lookUp(api, totals, missing, 4);
    expect(waves.map(sorted)).toEqual([[1, 2, 3, 4]]);
  });

  test("a list that grew since the recent total is still searched to its end", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 120 });
    await earlierRequest(api, totals);
    api.tasks[KIND] = Array.from({ length: 600 }, (_, i) => fakeTask(KIND, i));
    const waves = recordWaves(api);
    const positions = [0, 1, 2, 3, 590, 591];
    expect(await lookUp(api, totals, positions)).toEqual(positions.map((i) => `d${i}`));
    // The recent total said 3 pages; the answers said 12.
    expect(waves[0]).toEqual([1, 2, 3]);
    const all = waves.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain(12);
  });

  test("a recent total of an empty list does not end the scan before page 1", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({});
    await earlierRequest(api, totals);
    api.tasks[KIND] = [fakeTask(KIND, 0)];
    const waves = recordWaves(api);
    expect(await lookUp(api, totals, [0])).toEqual(["d0"]);
    expect(waves).toEqual([[1]]);
  });

  test("pages the request already read are searched, never read again", async () => {
    const api = createFakeApi({ [KIND]: 600 });
    const pages = new PageLoader(api);
    await pages.loadPages(KIND, [3, 7]);
    const waves = recordWaves(api);
    const found = await new TaskLookup(pages).loadMany(SPREAD.map((i) => ({ kind: KIND, taskId: `d${i}` })));
    expect(found.every((task) => task !== null)).toBe(true);
    // Pages 3 and 7 held 17 wanted tasks: dense, so the other ten go in one wave.
    expect(waves.map(sorted)).toEqual([[1, 2, 4, 5, 6, 8, 9, 10, 11, 12]]);
  });

  test("a total older than RECENT_TOTAL_MAX_AGE_MS does not plan the next request", async () => {
    let clock = 0;
    const totals = new RecentTotals(() => clock);
    const api = createFakeApi({ [KIND]: 600 });
    await earlierRequest(api, totals);
    clock = RECENT_TOTAL_MAX_AGE_MS;
    expect(totals.get(KIND)).toBe(600);
    clock = RECENT_TOTAL_MAX_AGE_MS + 1;
    const waves = recordWaves(api);
    await lookUp(api, totals, SPREAD);
    expect(waves[0]).toEqual([1]);
  });

  test("clear(kind) forgets the recent total too (this request changed the list)", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 600 });
    const pages = new PageLoader(api, { recentTotals: totals });
    await pages.load(KIND, 1);
    expect(totals.get(KIND)).toBe(600);
    pages.clear(KIND);
    expect(totals.get(KIND)).toBeUndefined();
    const waves = recordWaves(api);
    await lookUp(api, totals, SPREAD);
    expect(waves[0]).toEqual([1]);
  });

  test("a loader without the app's recent totals starts from page 1", async () => {
    const totals = new RecentTotals();
    const api = createFakeApi({ [KIND]: 600 });
    await earlierRequest(api, totals);
    const waves = recordWaves(api);
    await new TaskLookup(new PageLoader(api)).loadMany(SPREAD.map((i) => ({ kind: KIND, taskId: `d${i}` })));
    expect(waves[0]).toEqual([1]);
  });
});

describe("waveSize", () => {
  test.each([
    { case: "total unknown", totalKnown: false, missing: 100, found: 0, searched: 0, size: 1 },
    { case: "first wave, dense batch", totalKnown: true, missing: 100, found: 0, searched: 0, size: 50 },
    { case: "first wave, one id", totalKnown: true, missing: 1, found: 0, searched: 0, size: 1 },
    { case: "first wave, three ids", totalKnown: true, missing: 3, found: 0, searched: 0, size: 2 },
    { case: "sparse after page 1", totalKnown: true, missing: 1, found: 1, searched: 1, size: 1 },
    { case: "sparse doubles", totalKnown: true, missing: 1, found: 1, searched: 4, size: 4 },
    { case: "sparse wave is capped", totalKnown: true, missing: 1, found: 2, searched: 40, size: 8 },
    { case: "dense rate sizes the wave", totalKnown: true, missing: 92, found: 8, searched: 1, size: 12 },
  ])("$case", ({ totalKnown, missing, found, searched, size }) => {
    expect(waveSize(totalKnown, missing, found, searched)).toBe(size);
  });
});
