/**
 * `CreateUsageExportPayload.replayed`: false when this request created the task, true when the
 * answer came from an earlier request with the same idempotency key (the real runner and
 * store, the real emulator: a replay creates nothing).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { idempotencyRunnerFor } from "../../src/http/idempotency-key.js";
import { createMemoryIdempotencyStore } from "../../src/state/idempotency-memory.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const CREATE = `mutation Create($input: CreateUsageExportInput!) { createUsageExport(input: $input) { taskId replayed } }`;
const CREATE_USER = `mutation Create($input: CreateUserUsageExportInput!) { createUserUsageExport(input: $input) { taskId replayed } }`;
interface Payload {
  taskId: string;
  replayed: boolean;
}

let h: GatewayHarness;
beforeAll(async () => {
  const idempotency = idempotencyRunnerFor({ store: createMemoryIdempotencyStore(), scope: "api-key:test" });
  h = await startGatewayHarness({ now: () => NOW, emulator: { historySize: 3 }, idempotency });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
});

describe("replayed", () => {
  const input = { type: "FLOW", startTime: iso(NOW - 5 * DAY), endTime: iso(NOW - 4 * DAY) };

  test("false for the request that created the task, true for a repeat with the same key", async () => {
    const first = await h.execute<{ createUsageExport: Payload }>(CREATE, { variables: { input: { ...input, idempotencyKey: "replay-1" } } });
    expect(first.errors).toBeUndefined();
    expect(first.data!.createUsageExport.replayed).toBe(false);
    const again = await h.execute<{ createUsageExport: Payload }>(CREATE, { variables: { input: { ...input, idempotencyKey: "replay-1" } } });
    expect(again.data!.createUsageExport).toEqual({ taskId: first.data!.createUsageExport.taskId, replayed: true });
    expect(h.calls()).toEqual({ CreateUsageDetailDataExportTask: 1 });
  });

  test("the Idempotency-Key header replays too; another key creates again", async () => {
    const headers = { "idempotency-key": "replay-header" };
    const first = await h.execute<{ createUserUsageExport: Payload }>(CREATE_USER, { variables: { input: { startTime: input.startTime, endTime: input.endTime } }, headers });
    const again = await h.execute<{ createUserUsageExport: Payload }>(CREATE_USER, { variables: { input: { startTime: input.startTime, endTime: input.endTime } }, headers });
    const other = await h.execute<{ createUserUsageExport: Payload }>(CREATE_USER, {
      variables: { input: { startTime: input.startTime, endTime: input.endTime } },
      headers: { "idempotency-key": "replay-other" },
    });
    expect([first, again, other].map((r) => r.data!.createUserUsageExport.replayed)).toEqual([false, true, false]);
    expect(other.data!.createUserUsageExport.taskId).not.toBe(first.data!.createUserUsageExport.taskId);
  });

  test("without a key every create is new", async () => {
    const response = await h.execute<{ a: Payload; b: Payload }>(
      `mutation($input: CreateUsageExportInput!) { a: createUsageExport(input: $input) { taskId replayed } b: createUsageExport(input: $input) { taskId replayed } }`,
      { variables: { input } },
    );
    expect(response.data!.a.replayed).toBe(false);
    expect(response.data!.b.replayed).toBe(false);
    expect(response.data!.a.taskId).not.toBe(response.data!.b.taskId);
  });
});
