/**
 * `tasks` cursors while the list changes underneath (real emulator, real client): tasks created
 * or deleted between pages must not make a walk repeat or skip any task that existed when it
 * started.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { encodeCursor } from "../../src/reading/cursors.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

interface Connection {
  totalCount: number;
  edges: { cursor: string; node: { taskId: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const HISTORY = 137;
const TASKS = `query Tasks($first: Int, $after: String, $last: Int, $before: String) {
  tasks(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { taskId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

let h: GatewayHarness;
/** The list when the test started, newest first. */
let initial: string[];

beforeEach(async () => {
  h = await startGatewayHarness({ emulator: { historySize: { USAGE_DETAIL: HISTORY, USER_USAGE: 0 } } });
  initial = await listAll();
  expect(initial).toHaveLength(HISTORY);
});
afterEach(async () => {
  await h.close();
});

/** The upstream list as it is now, straight from the client. */
async function listAll(): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page += 1) {
    const read = await h.client.describeTasks("USAGE_DETAIL", { pageNumber: page, pageSize: 50 });
    ids.push(...read.tasks.map((t) => t.taskId));
    if (page * 50 >= read.totalCount) return ids;
  }
}

async function createTasks(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const now = Date.now();
    const created = await h.client.createUsageDetailTask({ type: "flow", startTime: iso(now - 3 * DAY), endTime: iso(now - DAY), taskName: `new ${i}` });
    ids.push(created.taskId);
  }
  return ids;
}

async function deleteTasks(ids: readonly string[]): Promise<void> {
  for (const id of ids) await h.client.deleteTask("USAGE_DETAIL", id);
}

async function tasks(variables: Record<string, unknown>): Promise<Connection> {
  const response = await h.execute<{ tasks: Connection }>(TASKS, { variables });
  expect(response.errors).toBeUndefined();
  return response.data!.tasks;
}

/** Walks forward with `first`, calling `between(pageIndex, seenSoFar)` after every page. */
async function walkForward(first: number, between: (page: number, seen: readonly string[]) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 200; page += 1) {
    const window = await tasks({ first, after });
    seen.push(...window.edges.map((e) => e.node.taskId));
    if (!window.pageInfo.hasNextPage) return seen;
    after = window.pageInfo.endCursor;
    await between(page, seen);
  }
  throw new Error("walk did not end");
}

describe("forward walks", () => {
  test("tasks created between pages (first: 7): every task that existed is seen once, in order", async () => {
    const created = new Set<string>();
    const seen = await walkForward(7, async (page) => {
      // 1 to 3 new tasks after every page, 40 at once midway (more than most of a page).
      for (const id of await createTasks(page === 9 ? 40 : (page % 3) + 1)) created.add(id);
    });
    expect(seen).toEqual(initial);
    expect(seen.some((id) => created.has(id))).toBe(false);
  });

  test("a burst of more than a page (120 tasks) between two pages", async () => {
    const seen = await walkForward(7, async (page) => {
      if (page === 4) await createTasks(120);
    });
    expect(seen).toEqual(initial);
  });

  test("tasks deleted before they are seen just vanish; nothing else is lost or repeated", async () => {
    const deleted = new Set<string>();
    const seen = await walkForward(7, async (page, soFar) => {
      // Delete the 3rd and 11th not-yet-seen tasks, and create one, after every other page.
      if (page % 2 === 1) {
        const unseen = initial.filter((id) => !soFar.includes(id) && !deleted.has(id));
        const victims = [unseen[2], unseen[10]].filter((id): id is string => id !== undefined);
        await deleteTasks(victims);
        for (const id of victims) deleted.add(id);
        await createTasks(1);
      }
    });
    expect(deleted.size).toBeGreaterThan(10);
    expect(seen).toEqual(initial.filter((id) => !deleted.has(id)));
  });

  test("tasks deleted after they were seen do not make the walk skip any", async () => {
    const seen = await walkForward(7, async (page, soFar) => {
      if (page === 3) await deleteTasks([soFar[0]!, soFar[5]!, soFar[20]!]);
      // More than a page's worth of seen tasks, so the cursor's task moves up a page.
      if (page === 12) await deleteTasks(soFar.slice(21, 81));
    });
    expect(seen).toEqual(initial);
  });

  test("the cursor's own task deleted: the walk continues with the next older task", async () => {
    const first = await tasks({ first: 7 });
    const anchor = first.edges.at(-1)!.node.taskId;
    await deleteTasks([anchor]);
    await createTasks(2);
    const next = await tasks({ first: 7, after: first.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.taskId)).toEqual(initial.slice(7, 14));
  });

  test("with nothing changed, an `after` whose task is on the window's page costs one read", async () => {
    const first = await tasks({ first: 7 });
    h.resetCalls();
    const next = await tasks({ first: 7, after: first.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.taskId)).toEqual(initial.slice(7, 14));
    expect(h.totalCalls()).toBe(1);
  });

  test("a v1 cursor (plain offset) is still accepted and not realigned", async () => {
    await createTasks(2);
    const next = await tasks({ first: 3, after: encodeCursor(4) });
    // Offsets 5..7 of the list as it is now: two new tasks moved everything down by two.
    expect(next.edges.map((e) => e.node.taskId)).toEqual(initial.slice(3, 6));
  });
});

describe("backward walks", () => {
  test("tasks created and deleted between pages (last: 9): every surviving task that existed is seen once", async () => {
    const chunks: string[][] = [];
    const deleted = new Set<string>();
    let before: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const window = await tasks({ last: 9, before });
      chunks.unshift(window.edges.map((e) => e.node.taskId));
      if (!window.pageInfo.hasPreviousPage) break;
      before = window.pageInfo.startCursor;
      await createTasks((page % 2) + 1);
      if (page === 5) {
        // Delete two tasks the backward walk has not reached yet (near the front).
        const victims = [initial[4]!, initial[20]!];
        await deleteTasks(victims);
        for (const id of victims) deleted.add(id);
      }
    }
    const seen = chunks.flat();
    const fromStart = seen.filter((id) => initial.includes(id));
    expect(fromStart).toEqual(initial.filter((id) => !deleted.has(id)));
    // Tasks created during the walk sit at the front, where a backward walk ends: seen at most once.
    expect(new Set(seen).size).toBe(seen.length);
  });
});
