/** Shared bits of the upstream client suites: demo credentials, the suite's server, documented answer bodies. */
import { afterAll, afterEach, beforeAll } from "vitest";
import { Credentials } from "../../src/upstream/credentials.js";
import { createCdnClient, type CdnClient, type CdnClientOptions } from "../../src/upstream/client.js";
import {
  startUpstreamTestServer,
  type TestCredential,
  type UpstreamTestServer,
  type UpstreamTestServerOptions,
} from "../helpers/upstream-test-server.js";

export const AK: TestCredential = { accessKeyId: "test-ak-id", accessKeySecret: "test-ak-secret" };
export const STS: TestCredential = {
  accessKeyId: "STS.test-sts-id",
  accessKeySecret: "test-sts-secret",
  securityToken: "test-sts-token/with+odd=chars",
};

export function credentialsOf(credential: TestCredential): Credentials {
  return new Credentials(credential);
}

/**
 * One upstream test server for the calling suite (file or describe block): started before its
 * tests, closed after them, its recorded hits cleared after each test. The returned object
 * forwards to that server, so it can be declared at the top and used inside tests and hooks.
 */
export function upstreamServerForSuite(options: UpstreamTestServerOptions = { credentials: [AK] }): UpstreamTestServer {
  let started: UpstreamTestServer | undefined;
  const running = (): UpstreamTestServer => {
    if (started === undefined) throw new Error("the suite's upstream test server runs only inside tests and hooks");
    return started;
  };
  beforeAll(async () => {
    started = await startUpstreamTestServer(options);
  });
  afterAll(async () => {
    await started?.close();
  });
  afterEach(() => {
    if (started !== undefined) started.hits.length = 0;
  });
  return {
    get url() {
      return running().url;
    },
    get hits() {
      return running().hits;
    },
    get handler() {
      return running().handler;
    },
    set handler(handler) {
      running().handler = handler;
    },
    openConnections: () => running().openConnections(),
    totalConnections: () => running().totalConnections(),
    close: () => running().close(),
  };
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
