/** createUsageExports / createUserUsageExports against the real emulator, with a real idempotency store. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { idempotencyRunnerFor } from "../../src/http/idempotency-key.js";
import { createMemoryIdempotencyStore } from "../../src/state/idempotency-memory.js";
import type { CdnExportApi } from "../../src/upstream/types.js";
import { errorCodes, startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

interface Part {
  index: number;
  startTime: string;
  endTime: string;
  state: string;
  created: boolean;
  taskId: string | null;
  error: { code: string; message: string; retryAfterMs: number | null } | null;
}
interface Payload {
  startTime: string;
  endTime: string;
  complete: boolean;
  parts: Part[];
}

const PART_FIELDS = `index startTime endTime state created taskId error { code message retryAfterMs }`;
const CREATE = `mutation Create($input: CreateUsageExportInput!) {
  createUsageExports(input: $input) { startTime endTime complete parts { ${PART_FIELDS} } }
}`;

/** A real store behind the context's hook, as the server wires it. */
const store = createMemoryIdempotencyStore();
const idempotency = idempotencyRunnerFor({ store, scope: "test" });

/** Called before each upstream create with its 1-based number since the last reset. */
let beforeCreate: (n: number) => void = () => undefined;
/** Awaited before each upstream create (lets a test hold one request mid-run). */
let pauseCreates: (n: number) => Promise<void> = () => Promise.resolve();
let creates = 0;
function withCreateHook(api: CdnExportApi): CdnExportApi {
  return {
    describeTasks: (kind, page, options) => api.describeTasks(kind, page, options),
    deleteTask: (kind, taskId, options) => api.deleteTask(kind, taskId, options),
    createUsageDetailTask: async (params, options) => {
      const n = ++creates;
      beforeCreate(n);
      await pauseCreates(n);
      return api.createUsageDetailTask(params, options);
    },
    createUserUsageTask: (params, options) => {
      beforeCreate(++creates);
      return api.createUserUsageTask(params, options);
    },
  };
}

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ now: () => NOW, emulator: { historySize: 5 }, idempotency, wrapApi: withCreateHook });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.resetCalls();
  h.emulator.setFaults({});
  creates = 0;
  beforeCreate = () => undefined;
});

async function createExports(input: Record<string, unknown>, headers?: Record<string, string>): Promise<Payload> {
  const response = await h.execute<{ createUsageExports: Payload }>(CREATE, { variables: { input }, ...(headers ? { headers } : {}) });
  expect(response.errors).toBeUndefined();
  return response.data!.createUsageExports;
}

describe("createUsageExports", () => {
  test("a 100-day range becomes four consecutive tasks that cover it exactly", async () => {
    const start = NOW - 120 * DAY;
    const input = { type: "FLOW", startTime: iso(start), endTime: iso(start + 100 * DAY), domainNames: ["cdn.example.com"], taskName: "Q report" };
    const payload = await createExports(input);
    expect(payload.complete).toBe(true);
    expect(payload.parts.map((p) => [p.startTime, p.endTime])).toEqual([
      [iso(start), iso(start + 31 * DAY)],
      [iso(start + 31 * DAY), iso(start + 62 * DAY)],
      [iso(start + 62 * DAY), iso(start + 93 * DAY)],
      [iso(start + 93 * DAY), iso(start + 100 * DAY)],
    ]);
    expect(payload.parts.every((p) => p.state === "CREATED" && p.created && p.error === null && p.taskId !== null)).toBe(true);
    expect(h.calls()).toEqual({ CreateUsageDetailDataExportTask: 4 });

    // The upstream holds exactly these tasks, with these ranges and part names.
    const listed = await h.execute<{ tasks: { edges: { node: { taskId: string; name: string; startTime: string; endTime: string } }[] } }>(
      `{ tasks(first: 4) { edges { node { taskId name startTime endTime } } } }`,
    );
    const byId = new Map(listed.data!.tasks.edges.map((e) => [e.node.taskId, e.node]));
    payload.parts.forEach((part, i) => {
      expect(byId.get(part.taskId!)).toMatchObject({ name: `Q report (${i + 1}/4)`, startTime: part.startTime, endTime: part.endTime });
    });
  });

  test("a range within 31 days is one part, named as given", async () => {
    const payload = await createExports({ type: "VAS", startTime: iso(NOW - 10 * DAY), endTime: iso(NOW - 3 * DAY), taskName: "week" });
    expect(payload.parts).toHaveLength(1);
    expect(payload.parts[0]).toMatchObject({ index: 0, state: "CREATED", startTime: iso(NOW - 10 * DAY), endTime: iso(NOW - 3 * DAY) });
  });

  test("one calendar year (the most accepted) becomes 12 parts; parts expose their tasks", async () => {
    const start = NOW - 364 * DAY;
    const end = new Date(start);
    end.setUTCFullYear(end.getUTCFullYear() + 1);
    const response = await h.execute<{ createUsageExports: { complete: boolean; parts: { taskId: string; task: { taskId: string; status: string } }[] } }>(
      `mutation($input: CreateUsageExportInput!) { createUsageExports(input: $input) { complete parts { taskId task { taskId status } } } }`,
      { variables: { input: { type: "FLOW", startTime: iso(start), endTime: iso(end.getTime()), group: "g1" } } },
    );
    expect(response.errors).toBeUndefined();
    const { complete, parts } = response.data!.createUsageExports;
    expect(complete).toBe(true);
    expect(parts).toHaveLength(12);
    for (const part of parts) expect(part.task).toEqual({ taskId: part.taskId, status: "CREATED" });
  });

  test("a failure mid-run is reported on its part; a retry with the same key creates only the missing parts", async () => {
    const start = NOW - 200 * DAY;
    const input = { type: "FLOW", startTime: iso(start), endTime: iso(start + 150 * DAY), idempotencyKey: "yearly-1" };
    // The third create meets real upstream throttling (the emulator answers 503 Throttling).
    beforeCreate = (n) => h.emulator.setFaults(n === 3 ? { throttleRate: 1 } : {});
    const first = await createExports(input);
    expect(first.complete).toBe(false);
    expect(first.parts.map((p) => p.state)).toEqual(["CREATED", "CREATED", "FAILED", "NOT_ATTEMPTED", "NOT_ATTEMPTED"]);
    expect(first.parts[2]!.error).toMatchObject({ code: "UPSTREAM_THROTTLED" });
    expect(first.parts[2]!.taskId).toBeNull();
    expect(first.parts[3]).toMatchObject({ taskId: null, error: null, created: false });
    expect(h.calls()).toEqual({ CreateUsageDetailDataExportTask: 3 });

    h.resetCalls();
    beforeCreate = () => h.emulator.setFaults({});
    const retry = await createExports(input);
    expect(retry.complete).toBe(true);
    expect(retry.parts.map((p) => p.state)).toEqual(["REPLAYED", "REPLAYED", "CREATED", "CREATED", "CREATED"]);
    expect(retry.parts.slice(0, 2).map((p) => p.taskId)).toEqual(first.parts.slice(0, 2).map((p) => p.taskId));
    expect(new Set(retry.parts.map((p) => p.taskId)).size).toBe(5);
    expect(h.calls()).toEqual({ CreateUsageDetailDataExportTask: 3 });

    h.resetCalls();
    const again = await createExports(input);
    expect(again.parts.map((p) => p.state)).toEqual(Array(5).fill("REPLAYED"));
    expect(again.parts.map((p) => p.taskId)).toEqual(retry.parts.map((p) => p.taskId));
    expect(h.totalCalls()).toBe(0);
  });

  test("when the first part fails nothing exists: the mutation fails with that error, and a retry runs normally", async () => {
    const input = { type: "VAS", startTime: iso(NOW - 100 * DAY), endTime: iso(NOW - 50 * DAY), idempotencyKey: "first-fails" };
    beforeCreate = (n) => h.emulator.setFaults(n === 1 ? { throttleRate: 1 } : {});
    const failed = await h.execute(CREATE, { variables: { input } });
    expect(errorCodes(failed)).toEqual(["UPSTREAM_THROTTLED"]);
    expect(failed.data).toBeNull();
    beforeCreate = () => h.emulator.setFaults({});
    const retry = await createExports(input);
    expect(retry.parts.map((p) => p.state)).toEqual(["CREATED", "CREATED"]);
  });

  test("a twin request still running shows as IDEMPOTENCY_IN_PROGRESS on the part it holds", async () => {
    const input = { type: "FLOW", startTime: iso(NOW - 150 * DAY), endTime: iso(NOW - 60 * DAY), idempotencyKey: "twins" };
    // The first request pauses inside its second create; its twin replays part 0 and meets part 1 in progress.
    let release: () => void = () => undefined;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let reached: () => void = () => undefined;
    const atSecond = new Promise<void>((resolve) => (reached = resolve));
    beforeCreate = (n) => {
      if (n === 2) reached();
    };
    const original = pauseCreates;
    pauseCreates = (n) => (n === 2 ? paused : Promise.resolve());
    try {
      const first = createExports(input);
      await atSecond;
      const twin = await createExports(input);
      expect(twin.parts.map((p) => p.state)).toEqual(["REPLAYED", "FAILED", "NOT_ATTEMPTED"]);
      expect(twin.parts[1]!.error).toMatchObject({ code: "IDEMPOTENCY_IN_PROGRESS" });
      expect(twin.complete).toBe(false);
      release();
      expect((await first).parts.map((p) => p.state)).toEqual(["CREATED", "CREATED", "CREATED"]);
    } finally {
      pauseCreates = original;
      release();
    }
  });

  test("the Idempotency-Key header works like input.idempotencyKey", async () => {
    const input = { type: "VAS", startTime: iso(NOW - 80 * DAY), endTime: iso(NOW - 10 * DAY) };
    const first = await createExports(input, { "idempotency-key": "hdr-1" });
    const second = await createExports(input, { "idempotency-key": "hdr-1" });
    expect(second.parts.map((p) => p.state)).toEqual(["REPLAYED", "REPLAYED", "REPLAYED"]);
    expect(second.parts.map((p) => p.taskId)).toEqual(first.parts.map((p) => p.taskId));
  });

  test("the same key with another range is refused as a whole, nothing created", async () => {
    const base = { type: "FLOW", startTime: iso(NOW - 90 * DAY), endTime: iso(NOW - 20 * DAY), idempotencyKey: "reuse-1" };
    await createExports(base);
    h.resetCalls();
    const response = await h.execute(CREATE, { variables: { input: { ...base, endTime: iso(NOW - 19 * DAY) } } });
    expect(errorCodes(response)).toEqual(["IDEMPOTENCY_KEY_REUSED"]);
    expect(h.calls()).toEqual({});
  });

  test("needs export:create", async () => {
    const response = await h.execute(CREATE, {
      variables: { input: { type: "FLOW", startTime: iso(NOW - 40 * DAY), endTime: iso(NOW - 2 * DAY) } },
      principal: { id: "apikey:reader", name: "reader", scopes: new Set(["export:read"]) },
    });
    expect(errorCodes(response)).toEqual(["FORBIDDEN"]);
    expect(h.totalCalls()).toBe(0);
  });
});

describe("createUserUsageExports", () => {
  test("splits the same way", async () => {
    const start = NOW - 70 * DAY;
    const response = await h.execute<{ createUserUsageExports: Payload }>(
      `mutation($input: CreateUserUsageExportInput!) { createUserUsageExports(input: $input) { complete parts { ${PART_FIELDS} } } }`,
      { variables: { input: { startTime: iso(start), endTime: iso(start + 40 * DAY) } } },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.createUserUsageExports.parts.map((p) => [p.startTime, p.endTime, p.state])).toEqual([
      [iso(start), iso(start + 31 * DAY), "CREATED"],
      [iso(start + 31 * DAY), iso(start + 40 * DAY), "CREATED"],
    ]);
    expect(h.calls()).toEqual({ CreateUserUsageDataExportTask: 2 });
  });
});

describe("input rules refuse before any upstream call", () => {
  const start = NOW - 300 * DAY;
  const base = { type: "FLOW", startTime: iso(start), endTime: iso(start + 40 * DAY) };
  const oneYearLater = (ms: number) => {
    const date = new Date(ms);
    date.setUTCFullYear(date.getUTCFullYear() + 1);
    return date.getTime();
  };
  test.each([
    ["longer than one year", { endTime: iso(oneYearLater(start) + 1000) }, "input.endTime", "max-1-year"],
    ["end before start", { endTime: iso(start - DAY) }, "input.endTime", "end-after-start"],
    ["more than a year back", { startTime: iso(NOW - 366 * DAY) }, "input.startTime", "max-1-year-back"],
    ["not UTC seconds", { startTime: "2025-01-01T00:00Z" }, "input.startTime", "iso8601-utc-seconds"],
    ["group and domains", { group: "g", domainNames: ["cdn.example.com"] }, "input.group", "group-or-domain-names"],
    ["bad domain", { domainNames: ["a b"] }, "input.domainNames", "hostname"],
    ["start in the future", { startTime: iso(NOW + DAY), endTime: iso(NOW + 2 * DAY) }, "input.startTime", "not-in-future"],
    ["no domain", { domainNames: [] }, "input.domainNames", "min-1-domain"],
    ["a domain twice", { domainNames: ["cdn.example.com", "CDN.example.com"] }, "input.domainNames", "distinct-domain-names"],
  ])("%s", async (_name, change, field, rule) => {
    const response = await h.execute(CREATE, { variables: { input: { ...base, ...change } } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field, rule });
    expect(h.totalCalls()).toBe(0);
  });

  test("every broken rule at once, the one-year span among them", async () => {
    const response = await h.execute(CREATE, {
      variables: { input: { ...base, endTime: iso(oneYearLater(start) + 1000), domainNames: ["x.example.com", "x.example.com"], taskName: "" } },
    });
    const violations = response.errors?.[0]?.extensions?.["violations"] as { field: string; rule: string }[];
    expect(violations.map((v) => v.rule).sort()).toEqual(["distinct-domain-names", "max-1-year", "task-name-format"]);
    expect(h.totalCalls()).toBe(0);
  });

  test("the single create keeps its 31-day limit on the same input type", async () => {
    const response = await h.execute(`mutation($input: CreateUsageExportInput!) { createUsageExport(input: $input) { taskId } }`, {
      variables: { input: base },
    });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.endTime", rule: "max-31-days" });
    expect(h.totalCalls()).toBe(0);
  });
});
