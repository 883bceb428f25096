/** Shared bits of the upstream client suites: demo credentials and documented answer bodies. */
import { Credentials } from "../../src/upstream/credentials.js";
import { createCdnClient, type CdnClient, type CdnClientOptions } from "../../src/upstream/client.js";
import type { TestCredential, UpstreamTestServer } from "../helpers/upstream-test-server.js";

export const AK: TestCredential = { accessKeyId: "test-ak-id", accessKeySecret: "test-ak-secret" };
export const STS: TestCredential = {
  accessKeyId: "STS.test-sts-id",
  accessKeySecret: "test-sts-secret",
  securityToken: "test-sts-token/with+odd=chars",
};

export function credentialsOf(credential: TestCredential): Credentials {
  return new Credentials(credential);
}

/** A client for the test server with small, fast defaults; override anything. */
export function clientFor(
  server: UpstreamTestServer,
  overrides: Partial<CdnClientOptions> = {},
  credential: TestCredential = AK,
): CdnClient {
  return createCdnClient({
    endpoint: server.url,
    credentials: credentialsOf(credential),
    signatureVersion: "v3",
    timeoutMs: 2000,
    maxAttempts: 3,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    ...overrides,
  });
}

export interface TaskItemInit {
  TaskId: string;
  Status?: string;
  TaskName?: string;
  DownloadUrl?: string;
}

export function taskItem(init: TaskItemInit): Record<string, unknown> {
  return {
    TaskId: init.TaskId,
    TaskName: init.TaskName ?? `task ${init.TaskId}`,
    Status: init.Status ?? "success",
    CreateTime: "2018-10-09T06:33:38Z",
    UpdateTime: "2018-10-09T06:35:46Z",
    DownloadUrl: init.DownloadUrl ?? `https://example.invalid/billing_data/${init.TaskId}`,
    TaskConfig: { StartTime: "2018-07-31T16:00:00Z", EndTime: "2018-08-31T15:59:59Z" },
  };
}

export function pageBody(
  items: readonly Record<string, unknown>[],
  counts: { PageNumber?: unknown; PageSize?: unknown; TotalCount?: unknown } = {},
): Record<string, unknown> {
  return {
    RequestId: "req-page",
    UsageDataPerPage: {
      PageNumber: "PageNumber" in counts ? counts.PageNumber : 1,
      PageSize: "PageSize" in counts ? counts.PageSize : 50,
      TotalCount: "TotalCount" in counts ? counts.TotalCount : items.length,
      Data: { DataItem: items },
    },
  };
}

export const createdBody = (taskId: string): Record<string, unknown> => ({
  RequestId: `req-create-${taskId}`,
  TaskId: taskId,
  StartTime: "2024-01-01T00:00:00Z",
  EndTime: "2024-01-31T00:00:00Z",
});
