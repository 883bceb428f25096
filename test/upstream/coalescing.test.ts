import { describe, expect, it } from "vitest";
import { createCoalescer } from "../../src/upstream/coalesce.js";
import { json, type Reply } from "../helpers/upstream-test-server.js";
import { clientFor, createdBody, pageBody, taskItem, upstreamServerForSuite } from "./fixtures.js";

const server = upstreamServerForSuite();

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

describe("in-flight coalescing in the client", () => {
  it("answers N concurrent identical page reads with one upstream call", async () => {
    const gate = gatedHandler(() => json(pageBody([taskItem({ TaskId: "1" })])));
    const client = clientFor(server);
    try {
      const reads = Array.from({ length: 20 }, () => client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 }));
      await expect.poll(() => server.hits.length).toBe(1);
      gate.release();
      const pages = await Promise.all(reads);
      expect(pages.every((p) => p.tasks[0]?.taskId === "1")).toBe(true);
      expect(server.hits).toHaveLength(1);

      // Once settled nothing is kept: the next read is a new call.
      await client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
      expect(server.hits).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it("keeps reads with a different kind, page number or page size apart", async () => {
    const gate = gatedHandler(() => json(pageBody([])));
    const client = clientFor(server);
    try {
      const reads = [
        client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 }),
        client.describeTasks("USER_USAGE", { pageNumber: 1, pageSize: 50 }),
        client.describeTasks("USAGE_DETAIL", { pageNumber: 2, pageSize: 50 }),
        client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 20 }),
        client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 20 }),
      ];
      await expect.poll(() => server.hits.length).toBe(4);
      gate.release();
      await Promise.all(reads);
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(4);
  });

  it("never coalesces creates or deletes", async () => {
    const gate = gatedHandler(() => json(createdBody("c")));
    const client = clientFor(server);
    const create = { startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" };
    try {
      const calls = [
        client.createUserUsageTask(create),
        client.createUserUsageTask(create),
        client.createUserUsageTask(create),
        client.deleteTask("USAGE_DETAIL", "1"),
        client.deleteTask("USAGE_DETAIL", "1"),
      ];
      await expect.poll(() => server.hits.length).toBe(5);
      gate.release();
      await Promise.allSettled(calls);
    } finally {
      await client.close();
    }
  });

  it("lets one caller abort without aborting the shared call for the others", async () => {
    const gate = gatedHandler(() => json(pageBody([taskItem({ TaskId: "7" })])));
    const client = clientFor(server);
    const quitter = new AbortController();
    try {
      const aborted = client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 }, { signal: quitter.signal });
      const staying = client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
      await expect.poll(() => server.hits.length).toBe(1);
      quitter.abort();
      await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
      gate.release();
      await expect(staying).resolves.toMatchObject({ tasks: [{ taskId: "7" }] });
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(1);
  });
});

describe("createCoalescer", () => {
  it("cancels the shared call only when every caller has aborted", async () => {
    const coalescer = createCoalescer<string>();
    let sharedSignal: AbortSignal | undefined;
    const call = (signal: AbortSignal | undefined): Promise<string> => {
      sharedSignal = signal;
      return new Promise((_resolve, reject) => {
        signal?.addEventListener("abort", () => reject(new Error("shared call cancelled")));
      });
    };
    const a = new AbortController();
    const b = new AbortController();
    const first = coalescer.run("k", call, a.signal);
    const second = coalescer.run("k", call, b.signal);
    await Promise.resolve();
    expect(coalescer.size).toBe(1);
    a.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    expect(sharedSignal?.aborted).toBe(false);
    b.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(sharedSignal?.aborted).toBe(true);
    expect(coalescer.size).toBe(0);
  });

  it("starts a call without a signal for a caller without one; callers who join later may still leave", async () => {
    const coalescer = createCoalescer<string>();
    const received: (AbortSignal | undefined)[] = [];
    let finish: (value: string) => void = () => undefined;
    const call = (signal: AbortSignal | undefined): Promise<string> => {
      received.push(signal);
      return new Promise((resolve) => {
        finish = resolve;
      });
    };
    const staying = coalescer.run("k", call);
    const leaver = new AbortController();
    const leaving = coalescer.run("k", call, leaver.signal);
    await Promise.resolve();
    await Promise.resolve();
    expect(received).toEqual([undefined]);
    leaver.abort();
    await expect(leaving).rejects.toMatchObject({ name: "AbortError" });
    expect(coalescer.size).toBe(1);
    finish("page");
    await expect(staying).resolves.toBe("page");
    expect(coalescer.size).toBe(0);
  });

  it("shares a rejection with every caller and then forgets the key", async () => {
    const coalescer = createCoalescer<string>();
    let calls = 0;
    const failing = (): Promise<string> => {
      calls += 1;
      return Promise.reject(new Error("boom"));
    };
    const results = await Promise.allSettled([coalescer.run("k", failing), coalescer.run("k", failing)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    await expect(coalescer.run("k", () => Promise.resolve("again"))).resolves.toBe("again");
  });
});
