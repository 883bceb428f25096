/** The request id travels with the work a request does, and only with that work. */
import { describe, expect, it } from "vitest";
import { createTaskWatchHub } from "../../src/live/task-watch-hub.js";
import { RequestLogContext } from "../../src/observability/request-log-context.js";
import { fakeTask } from "../helpers/fake-api.js";

describe("RequestLogContext", () => {
  it("names the request for everything it awaits, and nothing outside it", async () => {
    const context = new RequestLogContext();
    const seen: Array<{ requestId?: string }> = [];
    const handle = async (id: string): Promise<void> => {
      seen.push(context.fields()); // before the id is known
      context.setRequestId(id);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(context.fields());
    };
    await Promise.all([context.run(() => handle("a")), context.run(() => handle("b"))]);
    expect(seen).toEqual([{}, {}, { requestId: "a" }, { requestId: "b" }]);
    context.setRequestId("ignored"); // outside any request: a no-op
    expect(context.fields()).toEqual({});
  });

  it("a task watch started by a subscriber's request polls outside that request", async () => {
    const context = new RequestLogContext();
    const pollsSeen: Array<string | undefined> = [];
    const hub = createTaskWatchHub({
      minIntervalMs: 1,
      maxIntervalMs: 1,
      read: (key) => {
        pollsSeen.push(context.requestId());
        return Promise.resolve({ ...fakeTask(key.kind, 1), taskId: key.taskId });
      },
    });
    try {
      const first = await context.run(async () => {
        context.setRequestId("subscriber-1");
        const stream = hub.watch({ kind: "USAGE_DETAIL", taskId: "d1" });
        const update = await stream.next();
        await stream.return(undefined);
        return update;
      });
      expect(first.done).toBe(false);
      expect(pollsSeen.length).toBeGreaterThan(0);
      expect(pollsSeen.every((id) => id === undefined)).toBe(true);
    } finally {
      await hub.close();
    }
  });
});
