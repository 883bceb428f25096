import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamRejectedError } from "../../src/upstream/errors.js";
import type { SignatureVersion } from "../../src/upstream/request-signer.js";
import {
  json,
  startUpstreamTestServer,
  type Handler,
  type TestCredential,
  type UpstreamTestServer,
} from "../helpers/upstream-test-server.js";
import { AK, STS, clientFor, createdBody, pageBody, taskItem } from "./fixtures.js";

/** Answers each of the six operations with its documented shape. */
const sixOperations: Handler = (hit) => {
  switch (hit.action) {
    case "CreateUsageDetailDataExportTask":
      return json(createdBody("detail-1"));
    case "CreateUserUsageDataExportTask":
      return json(createdBody("user-1"));
    case "DescribeUserUsageDetailDataExportTask":
      return json(pageBody([taskItem({ TaskId: "11" }), taskItem({ TaskId: "12", Status: "created" })]));
    case "DescribeUserUsageDataExportTask":
      return json(pageBody([taskItem({ TaskId: "21", Status: "failed" })], { PageNumber: "2", PageSize: "10", TotalCount: "11" }));
    case "DeleteUsageDetailDataExportTask":
    case "DeleteUserUsageDataExportTask":
      return json({ RequestId: `req-delete-${hit.params.TaskId ?? ""}` });
    default:
      return json({ Code: "InvalidAction.NotFound", Message: hit.action }, 404);
  }
};

let server: UpstreamTestServer;
beforeAll(async () => {
  server = await startUpstreamTestServer({ credentials: [AK, STS], handler: sixOperations });
});
afterAll(async () => {
  await server.close();
});

const combos: Array<[SignatureVersion, string, TestCredential]> = [
  ["v3", "AccessKey", AK],
  ["v3", "STS token", STS],
  ["v1", "AccessKey", AK],
  ["v1", "STS token", STS],
];

describe.each(combos)("signed client, %s with %s", (signatureVersion, _label, credential) => {
  it("round-trips all six operations through a verifying server", async () => {
    const client = clientFor(server, { signatureVersion }, credential);
    const from = server.hits.length;
    try {
      const detail = await client.createUsageDetailTask({
        type: "flow",
        startTime: "2024-01-01T00:00:00Z",
        endTime: "2024-01-31T00:00:00Z",
        domainNames: ["a.example.com", "b.example.com"],
        language: "en-us",
        taskName: "导出 *~!'() 测试",
      });
      expect(detail).toEqual({
        requestId: "req-create-detail-1",
        taskId: "detail-1",
        startTime: "2024-01-01T00:00:00Z",
        endTime: "2024-01-31T00:00:00Z",
      });
      const user = await client.createUserUsageTask({
        startTime: "2024-02-01T00:00:00Z",
        endTime: "2024-02-10T00:00:00Z",
        taskName: "monthly",
      });
      expect(user.taskId).toBe("user-1");

      const detailPage = await client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
      expect(detailPage).toMatchObject({ kind: "USAGE_DETAIL", pageNumber: 1, pageSize: 50, totalCount: 2, requestId: "req-page" });
      expect(detailPage.tasks[0]).toEqual({
        kind: "USAGE_DETAIL",
        taskId: "11",
        name: "task 11",
        rawStatus: "success",
        createTime: "2018-10-09T06:33:38Z",
        updateTime: "2018-10-09T06:35:46Z",
        downloadUrl: "https://example.invalid/billing_data/11",
        startTime: "2018-07-31T16:00:00Z",
        endTime: "2018-08-31T15:59:59Z",
      });
      const userPage = await client.describeTasks("USER_USAGE", { pageNumber: 2, pageSize: 10 });
      expect(userPage).toMatchObject({ kind: "USER_USAGE", pageNumber: 2, pageSize: 10, totalCount: 11 });
      expect(userPage.tasks.map((t) => [t.kind, t.taskId, t.rawStatus])).toEqual([["USER_USAGE", "21", "failed"]]);

      expect(await client.deleteTask("USAGE_DETAIL", "11")).toEqual({ requestId: "req-delete-11" });
      expect(await client.deleteTask("USER_USAGE", "21")).toEqual({ requestId: "req-delete-21" });
    } finally {
      await client.close();
    }

    const hits = server.hits.slice(from);
    expect(hits.map((h) => [h.action, h.verified, h.signatureVersion])).toEqual([
      ["CreateUsageDetailDataExportTask", true, signatureVersion],
      ["CreateUserUsageDataExportTask", true, signatureVersion],
      ["DescribeUserUsageDetailDataExportTask", true, signatureVersion],
      ["DescribeUserUsageDataExportTask", true, signatureVersion],
      ["DeleteUsageDetailDataExportTask", true, signatureVersion],
      ["DeleteUserUsageDataExportTask", true, signatureVersion],
    ]);
    expect(hits[0]?.params).toEqual({
      Type: "flow",
      StartTime: "2024-01-01T00:00:00Z",
      EndTime: "2024-01-31T00:00:00Z",
      DomainNames: "a.example.com,b.example.com",
      Language: "en-us",
      TaskName: "导出 *~!'() 测试",
    });
    expect(hits[1]?.params).toEqual({ StartTime: "2024-02-01T00:00:00Z", EndTime: "2024-02-10T00:00:00Z", TaskName: "monthly" });
    expect(hits[2]?.params).toEqual({ PageNumber: "1", PageSize: "50" });
    expect(hits[3]?.params).toEqual({ PageNumber: "2", PageSize: "10" });
    expect(hits[4]?.params).toEqual({ TaskId: "11" });
    // Spaces travel as %20, never `+`; the body is empty; each request has its own nonce.
    expect(hits[0]?.rawQuery).toContain("%20");
    expect(hits[0]?.rawQuery).not.toContain("+");
    expect(hits.every((h) => h.bodyLength === 0 && h.method === "POST" && h.path === "/")).toBe(true);
    expect(new Set(hits.map((h) => h.nonce)).size).toBe(hits.length);
  });

  it("is refused by the server when signed with the wrong secret", async () => {
    const client = clientFor(server, { signatureVersion, maxAttempts: 1 }, { ...credential, accessKeySecret: "wrong" });
    try {
      const error = await client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamRejectedError);
      expect(error).toMatchObject({ upstreamCode: "SignatureDoesNotMatch", httpStatus: 400, isServerError: false });
    } finally {
      await client.close();
    }
  });
});

describe("request details", () => {
  it("sends V3 headers from the injected clock and nonce", async () => {
    const fixed = Date.parse("2030-05-06T07:08:09.987Z");
    const local = await startUpstreamTestServer({ credentials: [STS], handler: sixOperations, now: () => fixed });
    let n = 0;
    const client = clientFor(local, { now: () => fixed, nonce: () => `nonce-${++n}` }, STS);
    try {
      await client.deleteTask("USAGE_DETAIL", "7");
      await client.deleteTask("USAGE_DETAIL", "8");
    } finally {
      await client.close();
      await local.close();
    }
    const [first, second] = local.hits;
    expect(first?.verified).toBe(true);
    expect(first?.headers).toMatchObject({
      "x-acs-action": "DeleteUsageDetailDataExportTask",
      "x-acs-version": "2018-05-10",
      "x-acs-date": "2030-05-06T07:08:09Z",
      "x-acs-signature-nonce": "nonce-1",
      "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "x-acs-security-token": STS.securityToken,
    });
    expect(first?.headers.authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=STS\.test-sts-id,SignedHeaders=host;x-acs-action;/);
    expect(second?.nonce).toBe("nonce-2");
  });

  it("sends Group instead of domains when given, and omits unset optional parameters", async () => {
    const client = clientFor(server);
    const from = server.hits.length;
    try {
      await client.createUsageDetailTask({
        type: "vas",
        startTime: "2024-01-01T00:00:00Z",
        endTime: "2024-01-02T00:00:00Z",
        group: "group-1",
        domainNames: [],
      });
    } finally {
      await client.close();
    }
    expect(server.hits[from]?.params).toEqual({
      Type: "vas",
      StartTime: "2024-01-01T00:00:00Z",
      EndTime: "2024-01-02T00:00:00Z",
      Group: "group-1",
    });
  });

  it("refuses page arguments outside the documented ranges before any call", async () => {
    const client = clientFor(server);
    const from = server.hits.length;
    try {
      await expect(client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 51 })).rejects.toBeInstanceOf(RangeError);
      await expect(client.describeTasks("USAGE_DETAIL", { pageNumber: 0, pageSize: 10 })).rejects.toBeInstanceOf(RangeError);
    } finally {
      await client.close();
    }
    expect(server.hits.length).toBe(from);
  });

  it("uses a dispatcher passed in and leaves it open on close()", async () => {
    const dispatcher = new Agent({ keepAliveTimeout: 1000 });
    try {
      const first = clientFor(server, { dispatcher });
      await first.deleteTask("USER_USAGE", "1");
      await first.close();
      expect(dispatcher.closed).toBe(false);
      const second = clientFor(server, { dispatcher });
      await expect(second.deleteTask("USER_USAGE", "2")).resolves.toEqual({ requestId: "req-delete-2" });
      await second.close();
    } finally {
      await dispatcher.close();
    }
  });
});
