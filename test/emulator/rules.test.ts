/** The documented parameter rules, each with its documented code and status. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { manualClock } from "./clock.js";
import { callV3, hoursRange } from "./signed-call.js";

const clock = manualClock(Date.UTC(2025, 5, 15, 12, 0, 0));
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ now: clock.now, historySize: 0, quotaPerSecond: 1_000_000 });
});
afterAll(async () => {
  await emulator.close();
});

const CREATE_DETAIL = "CreateUsageDetailDataExportTask";
const CREATE_USER = "CreateUserUsageDataExportTask";
const good = { Type: "flow", StartTime: "2025-06-01T00:00:00Z", EndTime: "2025-06-02T00:00:00Z" };

async function expectCode(action: string, params: Record<string, string>, status: number, code: string): Promise<void> {
  const result = await callV3(emulator, action, params, { time: clock.now() });
  expect({ status: result.status, code: result.body.Code }).toEqual({ status, code });
}

describe("Create* time rules", () => {
  it.each([CREATE_DETAIL, CREATE_USER])("%s: documented codes", async (action) => {
    const { Type: _type, ...times } = good;
    const base = action === CREATE_DETAIL ? good : times;
    await expectCode(action, { ...base, StartTime: "" }, 400, "MissingTimeParameter");
    const { EndTime: _end, ...noEnd } = base;
    await expectCode(action, noEnd, 400, "MissingTimeParameter");
    await expectCode(action, { ...base, StartTime: "2025-06-01 00:00:00" }, 400, "InvalidStartTime.Malformed");
    await expectCode(action, { ...base, StartTime: "2025-02-30T00:00:00Z" }, 400, "InvalidStartTime.Malformed");
    await expectCode(action, { ...base, StartTime: "2025-06-01T00:00:00.000Z" }, 400, "InvalidStartTime.Malformed");
    await expectCode(action, { ...base, EndTime: "2025-06-02T00:00:00+08:00" }, 400, "InvalidEndTime.Malformed");
    await expectCode(action, { ...base, EndTime: base.StartTime }, 400, "InvalidParameterEndTime");
    await expectCode(action, { ...base, EndTime: "2025-05-31T00:00:00Z" }, 400, "InvalidParameterEndTime");
    await expectCode(action, { ...base, StartTime: "2025-05-01T00:00:00Z", EndTime: "2025-06-01T00:00:01Z" }, 400, "InvalidTimeRange");
    await expectCode(action, { ...base, StartTime: "2024-06-14T11:59:59Z", EndTime: "2024-06-20T00:00:00Z" }, 400, "InvalidParameterStartTime");
    await expectCode(action, { ...base, Language: "fr-fr" }, 400, "InvalidParameter");
  });

  it("accepts exactly 31 days, and a start exactly one year back", async () => {
    const thirtyOne = await callV3(emulator, CREATE_USER, { StartTime: "2025-05-01T00:00:00Z", EndTime: "2025-06-01T00:00:00Z" }, { time: clock.now() });
    expect(thirtyOne.status).toBe(200);
    const yearBack = await callV3(emulator, CREATE_USER, { StartTime: "2024-06-15T12:00:00Z", EndTime: "2024-06-16T00:00:00Z" }, { time: clock.now() });
    expect(yearBack.status).toBe(200);
  });
});

describe("CreateUsageDetailDataExportTask parameter rules", () => {
  it("requires Type flow or vas", async () => {
    const { Type: _type, ...noType } = good;
    await expectCode(CREATE_DETAIL, noType, 400, "InvalidParameter");
    await expectCode(CREATE_DETAIL, { ...good, Type: "FLOW" }, 400, "InvalidParameter");
    await expectCode(CREATE_DETAIL, { ...good, Type: "bandwidth" }, 400, "InvalidParameter");
  });

  it("checks DomainNames syntax, unless a Group is given (then DomainNames is ignored)", async () => {
    await expectCode(CREATE_DETAIL, { ...good, DomainNames: "a.example.com,,b.example.com" }, 400, "InvalidParameter");
    await expectCode(CREATE_DETAIL, { ...good, DomainNames: "not a domain" }, 400, "InvalidParameter");
    const grouped = await callV3(emulator, CREATE_DETAIL, { ...good, DomainNames: "not a domain", Group: "g1" }, { time: clock.now() });
    expect(grouped.status).toBe(200);
  });

  it("answers a valid create with four strings", async () => {
    const result = await callV3(emulator, CREATE_DETAIL, { ...good, Type: "vas", Language: "en-us", DomainNames: "*.example.com,cdn.example.org" }, { time: clock.now() });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      RequestId: expect.any(String) as unknown,
      TaskId: expect.stringMatching(/^\d+$/) as unknown,
      StartTime: good.StartTime,
      EndTime: good.EndTime,
    });
  });
});

describe("Describe* paging rules", () => {
  it.each(["DescribeUserUsageDetailDataExportTask", "DescribeUserUsageDataExportTask"])("%s", async (action) => {
    for (const PageSize of ["0", "51", "-1", "1.5", "ten", "20 "]) await expectCode(action, { PageSize }, 400, "InvalidParameter");
    for (const PageNumber of ["0", "100001", "x"]) await expectCode(action, { PageNumber }, 400, "InvalidParameter");
    const defaults = await callV3(emulator, action, {}, { time: clock.now() });
    expect(defaults.body).toMatchObject({ UsageDataPerPage: { PageNumber: 1, PageSize: 20 } });
    const edges = await callV3(emulator, action, { PageSize: "50", PageNumber: "100000" }, { time: clock.now() });
    expect(edges.body).toMatchObject({ UsageDataPerPage: { PageNumber: 100000, PageSize: 50, Data: { DataItem: [] } } });
  });
});

describe("Delete* rules", () => {
  it.each(["DeleteUsageDetailDataExportTask", "DeleteUserUsageDataExportTask"])("%s", async (action) => {
    await expectCode(action, {}, 400, "InvalidParameter");
    await expectCode(action, { TaskId: "424242" }, 404, "InvalidTaskId.NotFound");
  });

  it("does not delete a task of the other kind", async () => {
    const created = await callV3(emulator, CREATE_USER, hoursRange(clock.now(), 2), { time: clock.now() });
    const taskId = String(created.body.TaskId);
    await expectCode("DeleteUsageDetailDataExportTask", { TaskId: taskId }, 404, "InvalidTaskId.NotFound");
    const deleted = await callV3(emulator, "DeleteUserUsageDataExportTask", { TaskId: taskId }, { time: clock.now() });
    expect(deleted.status).toBe(200);
    expect(Object.keys(deleted.body)).toEqual(["RequestId"]);
  });
});
