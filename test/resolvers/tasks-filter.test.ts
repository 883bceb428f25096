/**
 * `tasks(filter:)` against the real emulator through the real client: the matching tasks in
 * upstream order, exact cursor walks both ways (also while tasks are created), totalCount of
 * the matches, the walk stopping at createdAfter, the page reads it shares, and its bound.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { UpstreamTask } from "../../src/upstream/types.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

interface Connection {
  totalCount: number;
  edges: { cursor: string; node: { taskId: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
interface Filter {
  status?: string[];
  createdAfter?: string;
  createdBefore?: string;
  nameContains?: string;
}

const HISTORY = 137;
const CONNECTION = `totalCount edges { cursor node { taskId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
const WALK = `query Walk($filter: TaskFilter, $first: Int, $after: String, $last: Int, $before: String) {
  tasks(kind: USAGE_DETAIL, filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { taskId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const TASKS = `query Tasks($filter: TaskFilter, $first: Int, $after: String, $last: Int, $before: String) {
  tasks(kind: USAGE_DETAIL, filter: $filter, first: $first, after: $after, last: $last, before: $before) { ${CONNECTION} }
}`;
const EDGES_ONLY = `query Edges($filter: TaskFilter, $first: Int) { tasks(filter: $filter, first: $first) { edges { node { taskId } } pageInfo { hasNextPage } } }`;
const STATUS: Record<string, string> = { created: "CREATED", success: "SUCCESS", failed: "FAILED" };
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

let h: GatewayHarness;
/** The upstream list, newest first, read straight through the client. */
let truth: UpstreamTask[] = [];

async function readTruth(): Promise<UpstreamTask[]> {
  const all: UpstreamTask[] = [];
  for (let page = 1; ; page += 1) {
    const read = await h.client.describeTasks("USAGE_DETAIL", { pageNumber: page, pageSize: 50 });
    all.push(...read.tasks);
    if (all.length >= read.totalCount || read.tasks.length === 0) return all;
  }
}

/** The filter as the contract says, written independently of the gateway's code. */
function expected(tasks: readonly UpstreamTask[], filter: Filter): string[] {
  return tasks
    .filter((task) => {
      const created = Date.parse(task.createTime);
      if (filter.status && !filter.status.includes(STATUS[task.rawStatus] ?? "UNKNOWN")) return false;
      if (filter.createdAfter && created < Date.parse(filter.createdAfter)) return false;
      if (filter.createdBefore && created >= Date.parse(filter.createdBefore)) return false;
      if (filter.nameContains && !(task.name ?? "\u0000").toLowerCase().includes(filter.nameContains.toLowerCase())) return false;
      return true;
    })
    .map((task) => task.taskId);
}

async function tasks(variables: Record<string, unknown>, query = TASKS): Promise<Connection> {
  const response = await h.execute<{ tasks: Connection }>(query, { variables });
  expect(response.errors).toBeUndefined();
  return response.data!.tasks;
}

async function walkForward(filter: Filter, first: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 200; guard += 1) {
    const page = await tasks({ filter, first, after }, WALK);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    seen.push(...page.edges.map((e) => e.node.taskId));
    if (!page.pageInfo.hasNextPage) return seen;
    after = page.pageInfo.endCursor;
  }
  throw new Error("the walk did not end");
}

async function walkBackward(filter: Filter, last: number): Promise<string[]> {
  const chunks: string[][] = [];
  let before: string | null = null;
  for (let guard = 0; guard < 200; guard += 1) {
    const page = await tasks({ filter, last, before }, WALK);
    expect(page.edges.length).toBeLessThanOrEqual(last);
    chunks.unshift(page.edges.map((e) => e.node.taskId));
    if (!page.pageInfo.hasPreviousPage) return chunks.flat();
    before = page.pageInfo.startCursor;
  }
  throw new Error("the walk did not end");
}

beforeAll(async () => {
  h = await startGatewayHarness({ emulator: { historySize: { USAGE_DETAIL: HISTORY, USER_USAGE: 10 } } });
  truth = await readTruth();
  expect(truth).toHaveLength(HISTORY);
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
});

/** Filters the seeded history has matches for (and non-matches around). */
function filters(): [string, Filter][] {
  const newest = Date.parse(truth[0]!.createTime);
  const mid = Date.parse(truth[60]!.createTime);
  return [
    ["failed ones", { status: ["FAILED"] }],
    ["succeeded or failed", { status: ["SUCCESS", "FAILED"] }],
    ["a name part in another case", { nameContains: "REPORT" }],
    ["a name part in Chinese", { nameContains: "用量" }],
    ["created after a time", { createdAfter: iso(mid) }],
    ["created in a range", { createdAfter: iso(newest - 40 * 86_400_000), createdBefore: iso(newest - 10 * 86_400_000) }],
    ["all of them at once", { status: ["SUCCESS"], nameContains: "a", createdAfter: iso(newest - 60 * 86_400_000) }],
  ];
}

describe("matching tasks", () => {
  test("every filter keeps exactly the matching tasks, in upstream order; totalCount counts them", async () => {
    for (const [name, filter] of filters()) {
      const want = expected(truth, filter);
      expect(want.length, name).toBeGreaterThan(0);
      expect(want.length, name).toBeLessThan(HISTORY);
      const page = await tasks({ filter, first: 100 });
      expect(page.edges.map((e) => e.node.taskId), name).toEqual(want.slice(0, 100));
      expect(page.totalCount, name).toBe(want.length);
      expect(page.pageInfo.hasNextPage, name).toBe(want.length > 100);
    }
  });

  test("a filter that constrains nothing is the plain list", async () => {
    const page = await tasks({ filter: { nameContains: "" }, first: 5 });
    expect(page.totalCount).toBe(HISTORY);
    expect(page.edges.map((e) => e.node.taskId)).toEqual(truth.slice(0, 5).map((t) => t.taskId));
  });

  test("an empty status list keeps no task and reads nothing", async () => {
    const page = await tasks({ filter: { status: [] }, first: 5 });
    expect(page).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false } });
    expect(h.totalCalls()).toBe(0);
  });
});

describe("cursor walks are exact both ways", () => {
  test("walks of one edge at a time see each match once, in order", async () => {
    const filter = { status: ["FAILED"] };
    expect(await walkForward(filter, 1)).toEqual(expected(truth, filter));
    expect(await walkBackward(filter, 1)).toEqual(expected(truth, filter));
  });

  test.each([3, 7])("forward (first) and backward (last) walks of size %i see each match once, in order", async (size) => {
    for (const [name, filter] of filters()) {
      const want = expected(truth, filter);
      expect(await walkForward(filter, size), name).toEqual(want);
      expect(await walkBackward(filter, size), name).toEqual(want);
    }
  });

  test("after/before of any edge continue exactly there; first with last keeps the head's tail", async () => {
    const filter = { status: ["SUCCESS"] };
    const want = expected(truth, filter);
    const all = await tasks({ filter, first: 100 });
    const edge = all.edges[40]!;
    expect((await tasks({ filter, first: 3, after: edge.cursor })).edges.map((e) => e.node.taskId)).toEqual(want.slice(41, 44));
    expect((await tasks({ filter, last: 3, before: edge.cursor })).edges.map((e) => e.node.taskId)).toEqual(want.slice(37, 40));
    const between = await tasks({ filter, first: 10, last: 4, after: edge.cursor });
    expect(between.edges.map((e) => e.node.taskId)).toEqual(want.slice(47, 51));
    const tail = await tasks({ filter, last: 5 });
    expect(tail.edges.map((e) => e.node.taskId)).toEqual(want.slice(-5));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  test("tasks created during a walk do not shift it; they appear at the front", async () => {
    const filter = { nameContains: "report" };
    const before = expected(truth, filter);
    const first = await tasks({ filter, first: 4 });
    // Two matching tasks and one that does not match, created between pages.
    const now = Date.now();
    for (const taskName of ["walk report A", "walk report B", "something else"]) {
      await h.client.createUsageDetailTask({ type: "flow", startTime: iso(now - 3 * 86_400_000), endTime: iso(now - 2 * 86_400_000), taskName });
    }
    const seen = first.edges.map((e) => e.node.taskId);
    let after = first.pageInfo.endCursor;
    for (;;) {
      const page = await tasks({ filter, first: 4, after });
      seen.push(...page.edges.map((e) => e.node.taskId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(before);
    const now2 = await tasks({ filter, first: 2 });
    expect(now2.totalCount).toBe(before.length + 2);
    truth = await readTruth();
    expect(now2.edges.map((e) => e.node.taskId)).toEqual(expected(truth, filter).slice(0, 2));
  });
});

describe("reads", () => {
  test("a window stops reading once it holds one match more than it returns", async () => {
    // The newest tasks mostly succeeded: page 1 has plenty of SUCCESS ones.
    const response = await h.execute(EDGES_ONLY, { variables: { filter: { status: ["SUCCESS"] }, first: 5 } });
    expect(response.errors).toBeUndefined();
    expect(h.pageReads("USAGE_DETAIL")).toBe(1);
  });

  test("the walk stops at createdAfter, totalCount included (the list is newest first)", async () => {
    const createdAfter = truth[20]!.createTime;
    const page = await tasks({ filter: { createdAfter }, first: 100 });
    expect(page.totalCount).toBe(expected(truth, { createdAfter }).length);
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(h.pageReads("USAGE_DETAIL")).toBe(1);
  });

  test("filtered and plain windows in one request share each page read", async () => {
    const response = await h.execute(`{
      plain: tasks(first: 100) { totalCount }
      failed: tasks(filter: { status: [FAILED] }) { totalCount edges { node { taskId } } }
      named: tasks(filter: { nameContains: "audit" }, last: 3) { totalCount }
    }`);
    expect(response.errors).toBeUndefined();
    expect(h.pageReads("USAGE_DETAIL")).toBe(Math.ceil(HISTORY / 50));
  });

  test("totalCount is walked only when selected", async () => {
    await h.execute(EDGES_ONLY, { variables: { filter: { status: ["SUCCESS"] }, first: 2 } });
    const withoutCount = h.pageReads("USAGE_DETAIL");
    h.resetCalls();
    await h.execute(`{ tasks(filter: { status: [SUCCESS] }, first: 2) { totalCount } }`);
    expect(withoutCount).toBe(1);
    expect(h.pageReads("USAGE_DETAIL")).toBe(Math.ceil(HISTORY / 50));
  });
});

describe("refused filters", () => {
  test.each([
    [{ createdAfter: "2026-01-02T00:00:00Z", createdBefore: "2026-01-01T00:00:00Z" }, "filter.createdBefore", "end-after-start"],
    [{ createdAfter: "2026-01-02" }, "filter.createdAfter", "iso8601-utc-seconds"],
    [{ nameContains: "x".repeat(65) }, "filter.nameContains", "name-contains-length"],
  ])("%j → BAD_USER_INPUT on %s, no upstream call", async (filter, field, rule) => {
    const response = await h.execute(TASKS, { variables: { filter, first: 5 } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field, rule });
    expect(h.totalCalls()).toBe(0);
  });
});

describe("createdBefore skips the newer head of a long list", () => {
  const LONG = 600;
  let long: GatewayHarness;
  const all: UpstreamTask[] = [];
  beforeAll(async () => {
    long = await startGatewayHarness({ emulator: { historySize: { USAGE_DETAIL: LONG, USER_USAGE: 0 } } });
    for (let page = 1; all.length < LONG; page += 1) {
      all.push(...(await long.client.describeTasks("USAGE_DETAIL", { pageNumber: page, pageSize: 50 })).tasks);
    }
  });
  afterAll(async () => {
    await long.close();
  });

  test("without reading every page before it; the answer and totalCount stay exact", async () => {
    const filter = { createdBefore: all[500]!.createTime };
    const want = expected(all, filter);
    long.resetCalls();
    const page = await long.execute<{ tasks: Connection }>(TASKS, { variables: { filter, first: 5 } });
    expect(page.errors).toBeUndefined();
    expect(page.data!.tasks.edges.map((e) => e.node.taskId)).toEqual(want.slice(0, 5));
    expect(page.data!.tasks.totalCount).toBe(want.length);
    // 12 pages; the matches start on page 11: galloping and bisecting read 7 of them.
    expect(long.pageReads("USAGE_DETAIL")).toBeLessThanOrEqual(8);
  });

  test("walks over it stay exact both ways", async () => {
    const filter = { createdBefore: all[230]!.createTime, createdAfter: all[420]!.createTime, status: ["SUCCESS"] };
    const want = expected(all, filter);
    const walk = async (args: Record<string, unknown>) => {
      const response = await long.execute<{ tasks: Connection }>(WALK, { variables: { filter, ...args } });
      expect(response.errors).toBeUndefined();
      return response.data!.tasks;
    };
    const forward: string[] = [];
    for (let after: string | null = null; ; ) {
      const page = await walk({ first: 40, after });
      forward.push(...page.edges.map((e) => e.node.taskId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forward).toEqual(want);
    const backward: string[][] = [];
    for (let before: string | null = null; ; ) {
      const page = await walk({ last: 40, before });
      backward.unshift(page.edges.map((e) => e.node.taskId));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backward.flat()).toEqual(want);
  });
});

describe("the walk's bound", () => {
  let bounded: GatewayHarness;
  beforeAll(async () => {
    bounded = await startGatewayHarness({ emulator: { historySize: { USAGE_DETAIL: HISTORY, USER_USAGE: 0 } }, maxScanPages: 2 });
  });
  afterAll(async () => {
    await bounded.close();
  });

  test("a walk that needs more pages than one request may read is refused, naming the filter", async () => {
    // No task is named so: the walk would read all 3 pages.
    const response = await bounded.execute(TASKS, { variables: { filter: { nameContains: "no such name" }, first: 5 } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter", rule: "filter-scan-limit" });
    expect(response.errors?.[0]?.message).toMatch(/createdAfter/);
    expect(bounded.pageReads()).toBeLessThanOrEqual(2);
  });

  test("totalCount past the bound is refused before reading the pages it cannot use", async () => {
    bounded.resetCalls();
    const response = await bounded.execute(`{ tasks(filter: { status: [FAILED] }, first: 1) { totalCount } }`);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter", rule: "filter-scan-limit" });
    expect(bounded.pageReads()).toBeLessThanOrEqual(2);
  });

  test("within the bound (createdAfter stops it early) the same filter answers", async () => {
    const response = await bounded.execute(TASKS, { variables: { filter: { nameContains: "no such name", createdAfter: truth[30]!.createTime }, first: 5 } });
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({ tasks: { totalCount: 0, edges: [] } });
  });
});
