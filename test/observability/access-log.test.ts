/**
 * The access line of a subscription (real SSE on a real port, startApp wiring): it names the
 * operation type and is written when the stream ends, with how long the stream ran, whether the
 * stream completed or the client went away.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";
import { subscribeSse } from "../helpers/sse-client.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const WATCH = "subscription Watch($taskId: String!) { exportTaskUpdated(kind: USAGE_DETAIL, taskId: $taskId) { taskId status } }";

describe("access log of subscriptions", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    // 2 s in `created`: the stream runs at least that long before SUCCESS completes it.
    h = await startServerHarness({ env: { LOG_LEVEL: "info", EMULATOR_TASK_SECONDS: "2" } });
  });
  afterAll(() => h.close());

  async function createTask(): Promise<string> {
    const now = Date.now();
    const res = await postGraphQL(h.url, "mutation($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }", {
      variables: { i: { type: "FLOW", startTime: iso(now - 3 * DAY), endTime: iso(now - 2 * DAY) } },
    });
    expect(res.body.errors).toBeUndefined();
    return (res.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
  }

  const lineOf = (requestId: string) => h.logs.records().filter((r) => r["msg"] === "graphql operation" && r["requestId"] === requestId);

  it("a stream that completes: one line when it ends, type subscription, its duration", async () => {
    const taskId = await createTask();
    const started = performance.now();
    const sub = await subscribeSse(h.url, { query: WATCH, variables: { taskId } }, { "x-request-id": "sub-completes" });
    expect(sub.status).toBe(200);
    await sub.next();
    // The stream is open (the task is still CREATED): no line yet.
    await sleep(200);
    expect(lineOf("sub-completes")).toEqual([]);
    const rest = await sub.rest();
    expect(rest.length).toBeGreaterThanOrEqual(1);
    const elapsed = performance.now() - started;
    await expect.poll(() => lineOf("sub-completes").length).toBe(1);
    const [line] = lineOf("sub-completes");
    expect(line).toMatchObject({ operationName: "Watch", operationType: "subscription", status: 200, method: "POST", path: "/graphql", errorCodes: [] });
    expect(line?.["durationMs"]).toBeGreaterThanOrEqual(1000);
    expect(line?.["durationMs"]).toBeLessThanOrEqual(elapsed + 50);
  });

  it("a stream the client leaves: the line is written when it goes", async () => {
    const taskId = await createTask();
    const sub = await subscribeSse(h.url, { query: WATCH, variables: { taskId } }, { "x-request-id": "sub-leaves" });
    await sub.next();
    await sleep(300);
    expect(lineOf("sub-leaves")).toEqual([]);
    sub.close();
    await expect.poll(() => lineOf("sub-leaves").length).toBe(1);
    const [line] = lineOf("sub-leaves");
    expect(line).toMatchObject({ operationName: "Watch", operationType: "subscription", status: 200 });
    expect(line?.["durationMs"]).toBeGreaterThanOrEqual(300);
  });

  it("a subscription for a task that does not exist: its NOT_FOUND is in the line", async () => {
    const sub = await subscribeSse(h.url, { query: WATCH, variables: { taskId: "99999999" } }, { "x-request-id": "sub-missing" });
    const events = await sub.rest();
    expect(events.at(-1)?.errors?.[0]?.extensions?.["code"]).toBe("NOT_FOUND");
    await expect.poll(() => lineOf("sub-missing").length).toBe(1);
    expect(lineOf("sub-missing")[0]).toMatchObject({ operationType: "subscription", errorCodes: ["NOT_FOUND"] });
  });
});
