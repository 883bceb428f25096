/**
 * Identical page reads in flight share one upstream call. This was the client's coalescer
 * (test/upstream/coalescing.test.ts); the page cache's `fetch` does it now, so these checks run
 * the page cache over the real signed client against the scriptable upstream on loopback.
 */
import { describe, expect, it } from "vitest";
import { createPageCache } from "../../src/reading/page-cache.js";
import type { CallOptions, CdnExportApi, ExportKind, PageRequest, TaskPage } from "../../src/upstream/types.js";
import { json, type Reply } from "../helpers/upstream-test-server.js";
import { taskPageOf } from "../helpers/task-page.js";
import { clientFor, createdBody, pageBody, taskItem, upstreamServerForSuite } from "../upstream/fixtures.js";

const server = upstreamServerForSuite();
const PAGE: PageRequest = { pageNumber: 1, pageSize: 50 };

/** A handler that holds every answer until `release()` is called. */
function gatedHandler(reply: () => Reply): { release: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  server.handler = async () => {
    await gate;
    return reply();
  };
  return { release: () => open() };
}

/** The signed client behind a page cache without a freshness window: only in-flight sharing. */
function sharedReads() {
  const client = clientFor(server);
  return { api: createPageCache(client, { ttlMs: 0 }), close: () => client.close() };
}

describe("identical page reads in flight share one upstream call", () => {
  it("answers N concurrent identical page reads with one upstream call", async () => {
    const gate = gatedHandler(() => json(pageBody([taskItem({ TaskId: "1" })])));
    const { api, close } = sharedReads();
    try {
      const reads = Array.from({ length: 20 }, () => api.describeTasks("USAGE_DETAIL", PAGE));
      await expect.poll(() => server.hits.length).toBe(1);
      gate.release();
      const pages = await Promise.all(reads);
      expect(pages.every((p) => p.tasks[0]?.taskId === "1")).toBe(true);
      expect(server.hits).toHaveLength(1);

      // Once settled nothing is served again without a window: the next read is a new call.
      await api.describeTasks("USAGE_DETAIL", PAGE);
      expect(server.hits).toHaveLength(2);
    } finally {
      await close();
    }
  });

  it("keeps reads with a different kind, page number or page size apart", async () => {
    const gate = gatedHandler(() => json(pageBody([])));
    const { api, close } = sharedReads();
    try {
      const reads = [
        api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 }),
        api.describeTasks("USER_USAGE", { pageNumber: 1, pageSize: 50 }),
        api.describeTasks("USAGE_DETAIL", { pageNumber: 2, pageSize: 50 }),
        api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 20 }),
        api.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 20 }),
      ];
      await expect.poll(() => server.hits.length).toBe(4);
      gate.release();
      await Promise.all(reads);
    } finally {
      await close();
    }
    expect(server.hits).toHaveLength(4);
  });

  it("never shares creates or deletes", async () => {
    const gate = gatedHandler(() => json(createdBody("c")));
    const { api, close } = sharedReads();
    const create = { startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" };
    try {
      const calls = [
        api.createUserUsageTask(create),
        api.createUserUsageTask(create),
        api.createUserUsageTask(create),
        api.deleteTask("USAGE_DETAIL", "1"),
        api.deleteTask("USAGE_DETAIL", "1"),
      ];
      await expect.poll(() => server.hits.length).toBe(5);
      gate.release();
      await Promise.allSettled(calls);
    } finally {
      await close();
    }
  });

  it("lets one caller abort without aborting the shared call for the others", async () => {
    const gate = gatedHandler(() => json(pageBody([taskItem({ TaskId: "7" })])));
    const { api, close } = sharedReads();
    const quitter = new AbortController();
    try {
      const aborted = api.describeTasks("USAGE_DETAIL", PAGE, { signal: quitter.signal });
      const staying = api.describeTasks("USAGE_DETAIL", PAGE);
      await expect.poll(() => server.hits.length).toBe(1);
      quitter.abort();
      await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
      gate.release();
      await expect(staying).resolves.toMatchObject({ tasks: [{ taskId: "7" }] });
    } finally {
      await close();
    }
    expect(server.hits).toHaveLength(1);
  });
});

/** An upstream whose page reads wait for `finish()` and record the options they were given. */
function heldUpstream() {
  const received: (CallOptions | undefined)[] = [];
  let calls = 0;
  let finish: (outcome: "page" | "fail") => void = () => undefined;
  const api: CdnExportApi = {
    describeTasks(kind: ExportKind, page: PageRequest, options?: CallOptions): Promise<TaskPage> {
      calls += 1;
      received.push(options);
      return new Promise((resolve, reject) => {
        finish = (outcome) => (outcome === "page" ? resolve(taskPageOf(kind, [], page, `req-${calls}`)) : reject(new Error("boom")));
      });
    },
    createUsageDetailTask: () => Promise.reject(new Error("not used")),
    createUserUsageTask: () => Promise.reject(new Error("not used")),
    deleteTask: () => Promise.reject(new Error("not used")),
  };
  return {
    api,
    received,
    calls: () => calls,
    /** Answers the latest read. */
    finish: (outcome: "page" | "fail") => finish(outcome),
    /** The answer of the latest read, kept for later (before another read starts). */
    finisher: () => finish,
  };
}

describe("the shared read and its callers", () => {
  it("is not cancelled when every caller has left: it completes and the window keeps its page", async () => {
    const upstream = heldUpstream();
    const api = createPageCache(upstream.api, { ttlMs: 60_000 });
    const a = new AbortController();
    const b = new AbortController();
    const first = api.describeTasks("USAGE_DETAIL", PAGE, { signal: a.signal });
    const second = api.describeTasks("USAGE_DETAIL", PAGE, { signal: b.signal });
    a.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    b.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(upstream.calls()).toBe(1);
    upstream.finish("page");
    await expect(api.describeTasks("USAGE_DETAIL", PAGE)).resolves.toMatchObject({ totalCount: 0 });
    expect(upstream.calls()).toBe(1);
  });

  it("starts the upstream call without any caller's signal; callers who join later may still leave", async () => {
    const upstream = heldUpstream();
    const api = createPageCache(upstream.api, { ttlMs: 0 });
    const starter = new AbortController();
    const staying = api.describeTasks("USAGE_DETAIL", PAGE, { signal: starter.signal });
    const leaver = new AbortController();
    const leaving = api.describeTasks("USAGE_DETAIL", PAGE, { signal: leaver.signal });
    await Promise.resolve();
    await Promise.resolve();
    expect(upstream.received).toEqual([undefined]);
    leaver.abort();
    await expect(leaving).rejects.toMatchObject({ name: "AbortError" });
    upstream.finish("page");
    await expect(staying).resolves.toMatchObject({ totalCount: 0 });
    expect(upstream.calls()).toBe(1);
  });

  it("a read pushed out by the size bound while in flight still answers its callers", async () => {
    const upstream = heldUpstream();
    const api = createPageCache(upstream.api, { ttlMs: 60_000, maxEntries: 1 });
    const first = api.describeTasks("USAGE_DETAIL", PAGE);
    const finishFirst = upstream.finisher();
    const second = api.describeTasks("USAGE_DETAIL", { pageNumber: 2, pageSize: 50 }); // evicts the first read
    finishFirst("page");
    upstream.finish("page");
    await expect(first).resolves.toMatchObject({ pageNumber: 1 });
    await expect(second).resolves.toMatchObject({ pageNumber: 2 });
    expect(upstream.calls()).toBe(2);
  });

  it("shares a rejection with every caller and then forgets the key", async () => {
    const upstream = heldUpstream();
    const api = createPageCache(upstream.api, { ttlMs: 60_000 });
    const reads = [api.describeTasks("USAGE_DETAIL", PAGE), api.describeTasks("USAGE_DETAIL", PAGE)];
    upstream.finish("fail");
    const results = await Promise.allSettled(reads);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(upstream.calls()).toBe(1);
    const again = api.describeTasks("USAGE_DETAIL", PAGE);
    upstream.finish("page");
    await expect(again).resolves.toMatchObject({ totalCount: 0 });
    expect(upstream.calls()).toBe(2);
  });
});
