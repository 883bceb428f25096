/**
 * THE protocol proof: the official SDK `@alicloud/cdn20180510`, unchanged, against the emulator —
 * with its default V3 signature and with V1 (`signatureAlgorithm: "v2"`), plus STS tokens,
 * a wrong secret and throttling as the SDK itself reports them.
 */
import Cdn20180510, * as $Cdn from "@alicloud/cdn20180510";
import { $OpenApiUtil } from "@alicloud/openapi-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { hoursRange } from "./signed-call.js";

type CdnClientClass = typeof Cdn20180510.default;
const imported: unknown = Cdn20180510;
// The SDK is CommonJS: tsc (like Node's ESM loader) types the default import as the module
// object, while vitest unwraps it to the client class itself. Accept either.
const CdnClient: CdnClientClass = typeof imported === "function" ? (imported as CdnClientClass) : Cdn20180510.default;

interface SdkOptions {
  secret?: string;
  v1?: boolean;
  securityToken?: string;
}

function sdkClient(emulator: RunningEmulator, options: SdkOptions = {}) {
  const config = new $OpenApiUtil.Config({
    accessKeyId: emulator.accessKeyId,
    accessKeySecret: options.secret ?? emulator.accessKeySecret,
    ...(options.securityToken === undefined ? {} : { securityToken: options.securityToken }),
    endpoint: new URL(emulator.url).host,
    protocol: "http",
    ...(options.v1 ? { signatureAlgorithm: "v2" } : {}),
  });
  return new CdnClient(config);
}

/** The SDK's error fields we check (its errors are plain objects with these properties). */
function sdkError(error: unknown): { name: string; code: string; statusCode: number; retryAfter?: number } {
  expect(error).toBeInstanceOf(Error);
  return error as { name: string; code: string; statusCode: number; retryAfter?: number };
}

describe.each([
  ["V3 (ACS3-HMAC-SHA256, default)", false],
  ["V1 (HMAC-SHA1, signatureAlgorithm v2)", true],
] as const)("official SDK with %s", (_label, v1) => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ historySize: 30, taskSeconds: 60 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("creates, lists, finds and deletes a usage-detail task", async () => {
    const client = sdkClient(emulator, { v1 });
    const range = hoursRange(Date.now(), 24);
    const created = await client.createUsageDetailDataExportTask(
      new $Cdn.CreateUsageDetailDataExportTaskRequest({
        type: "flow",
        startTime: range.StartTime,
        endTime: range.EndTime,
        domainNames: "www.example.com,img.example.com",
        taskName: "SDK proof: 流量 *~!'()",
        language: "en-us",
      }),
    );
    expect(created.statusCode).toBe(200);
    const taskId = created.body?.taskId;
    expect(taskId).toMatch(/^\d+$/);
    expect(created.body?.startTime).toBe(range.StartTime);
    expect(created.body?.endTime).toBe(range.EndTime);
    expect(created.body?.requestId).toBeTruthy();

    const listed = await client.describeUserUsageDetailDataExportTask(
      new $Cdn.DescribeUserUsageDetailDataExportTaskRequest({ pageNumber: 1, pageSize: 50 }),
    );
    const page = listed.body?.usageDataPerPage;
    expect(page?.pageNumber).toBe(1);
    expect(page?.pageSize).toBe(50);
    expect(page?.totalCount).toBe(31);
    const item = page?.data?.dataItem?.[0];
    expect(item?.taskId).toBe(taskId);
    expect(item?.taskName).toBe("SDK proof: 流量 *~!'()");
    expect(item?.status).toBe("created");
    expect(item?.taskConfig?.startTime).toBe(range.StartTime);
    expect(item?.taskConfig?.endTime).toBe(range.EndTime);

    const deleted = await client.deleteUsageDetailDataExportTask(
      new $Cdn.DeleteUsageDetailDataExportTaskRequest({ taskId: taskId! }),
    );
    expect(deleted.body?.requestId).toBeTruthy();
    const after = await client.describeUserUsageDetailDataExportTask(
      new $Cdn.DescribeUserUsageDetailDataExportTaskRequest({ pageNumber: 1, pageSize: 50 }),
    );
    expect(after.body?.usageDataPerPage?.totalCount).toBe(30);
    expect(after.body?.usageDataPerPage?.data?.dataItem?.some((t) => t.taskId === taskId)).toBe(false);
  });

  it("creates, lists and deletes a user-usage task", async () => {
    const client = sdkClient(emulator, { v1 });
    const range = hoursRange(Date.now(), 48);
    const created = await client.createUserUsageDataExportTask(
      new $Cdn.CreateUserUsageDataExportTaskRequest({ startTime: range.StartTime, endTime: range.EndTime }),
    );
    const taskId = created.body?.taskId;
    const listed = await client.describeUserUsageDataExportTask(
      new $Cdn.DescribeUserUsageDataExportTaskRequest({ pageNumber: 1, pageSize: 5 }),
    );
    expect(listed.body?.usageDataPerPage?.data?.dataItem?.[0]?.taskId).toBe(taskId);
    expect(listed.body?.usageDataPerPage?.data?.dataItem).toHaveLength(5);
    await client.deleteUserUsageDataExportTask(new $Cdn.DeleteUserUsageDataExportTaskRequest({ taskId: taskId! }));
    const again = await client
      .deleteUserUsageDataExportTask(new $Cdn.DeleteUserUsageDataExportTaskRequest({ taskId: taskId! }))
      .catch((error: unknown) => error);
    expect(sdkError(again)).toMatchObject({ code: "InvalidTaskId.NotFound", statusCode: 404 });
  });

  it("surfaces a wrong secret as SignatureDoesNotMatch", async () => {
    const client = sdkClient(emulator, { v1, secret: "not-the-secret" });
    const error = await client
      .describeUserUsageDataExportTask(new $Cdn.DescribeUserUsageDataExportTaskRequest({}))
      .catch((e: unknown) => e);
    expect(sdkError(error)).toMatchObject({ name: "ClientError", code: "SignatureDoesNotMatch", statusCode: 400 });
  });

  it("surfaces throttling as the SDK's ThrottlingError with retryAfter", async () => {
    emulator.setFaults({ throttleRate: 1 });
    try {
      const error = await sdkClient(emulator, { v1 })
        .describeUserUsageDataExportTask(new $Cdn.DescribeUserUsageDataExportTaskRequest({}))
        .catch((e: unknown) => e);
      const throttled = sdkError(error);
      expect(throttled).toMatchObject({ name: "ThrottlingError", code: "Throttling", statusCode: 503 });
      expect(throttled.retryAfter).toBeGreaterThan(0);
      expect(throttled.retryAfter).toBeLessThanOrEqual(1000);
    } finally {
      emulator.setFaults({});
    }
  });

  it("refuses a validation breach with the documented code", async () => {
    const error = await sdkClient(emulator, { v1 })
      .createUserUsageDataExportTask(
        new $Cdn.CreateUserUsageDataExportTaskRequest({ startTime: "2025-01-01T00:00:00Z", endTime: "2025-03-01T00:00:00Z" }),
      )
      .catch((e: unknown) => e);
    expect(sdkError(error)).toMatchObject({ code: "InvalidTimeRange", statusCode: 400 });
  });
});

describe("official SDK against a tiny quota", () => {
  it("gets Throttling from the emulator's own quota", async () => {
    const emulator = await startEmulator({ historySize: 0, quotaPerSecond: 1 });
    try {
      const client = sdkClient(emulator);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => client.describeUserUsageDataExportTask(new $Cdn.DescribeUserUsageDataExportTaskRequest({}))),
      );
      const rejected = results.filter((r) => r.status === "rejected").map((r) => sdkError(r.reason));
      // Five calls within at most two one-second windows: at least three are over a quota of 1/s.
      expect(rejected.length).toBeGreaterThanOrEqual(3);
      for (const error of rejected) expect(error).toMatchObject({ name: "ThrottlingError", code: "Throttling", statusCode: 503 });
      expect(emulator.stats().throttled).toBe(rejected.length);
    } finally {
      await emulator.close();
    }
  });
});

describe.each([
  ["V3", false],
  ["V1", true],
] as const)("official SDK with STS credentials (%s)", (_label, v1) => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ historySize: 2, securityToken: "sts-token/with+odd=chars" });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("accepts the configured token", async () => {
    const client = sdkClient(emulator, { v1, securityToken: "sts-token/with+odd=chars" });
    const listed = await client.describeUserUsageDataExportTask(new $Cdn.DescribeUserUsageDataExportTaskRequest({}));
    expect(listed.body?.usageDataPerPage?.totalCount).toBe(2);
  });

  it("refuses a missing or different token", async () => {
    const missing = await sdkClient(emulator, { v1 })
      .describeUserUsageDataExportTask(new $Cdn.DescribeUserUsageDataExportTaskRequest({}))
      .catch((e: unknown) => e);
    expect(sdkError(missing)).toMatchObject({ code: "MissingSecurityToken", statusCode: 400 });
    const wrong = await sdkClient(emulator, { v1, securityToken: "another-token" })
      .describeUserUsageDataExportTask(new $Cdn.DescribeUserUsageDataExportTaskRequest({}))
      .catch((e: unknown) => e);
    expect(sdkError(wrong)).toMatchObject({ code: "InvalidSecurityToken.MismatchWithAccessKey", statusCode: 400 });
  });
});
