import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import {
  UpstreamMalformedError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../../src/upstream/errors.js";
import type { UpstreamObserver } from "../../src/upstream/types.js";
import {
  json,
  sequence,
  startUpstreamTestServer,
  upstreamError,
} from "../helpers/upstream-test-server.js";
import { AK, clientFor, createdBody, pageBody, taskItem, upstreamServerForSuite } from "./fixtures.js";

const server = upstreamServerForSuite();

const PAGE = { pageNumber: 1, pageSize: 20 } as const;
const CREATE = { startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" } as const;

function recordingObserver(): Required<UpstreamObserver> & {
  calls: Parameters<Required<UpstreamObserver>["onCall"]>[0][];
  retries: Parameters<Required<UpstreamObserver>["onRetry"]>[0][];
} {
  const calls: Parameters<Required<UpstreamObserver>["onCall"]>[0][] = [];
  const retries: Parameters<Required<UpstreamObserver>["onRetry"]>[0][] = [];
  return {
    calls,
    retries,
    onCall: (event) => calls.push(event),
    onRetry: (event) => retries.push(event),
    onQuotaWait: () => undefined,
  };
}

describe("throttling", () => {
  it("retries after the upstream's x-acs-retry-after, then succeeds", async () => {
    server.handler = sequence(
      upstreamError("Throttling.User", "Request was denied due to user flow control.", 503, { "x-acs-retry-after": "150" }),
      json(pageBody([taskItem({ TaskId: "1" })])),
    );
    const observer = recordingObserver();
    const client = clientFor(server, { observer, retryBaseDelayMs: 1, retryMaxDelayMs: 2 });
    try {
      const started = performance.now();
      const page = await client.describeTasks("USAGE_DETAIL", PAGE);
      expect(page.tasks).toHaveLength(1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await client.close();
    }
    expect(server.hits.map((h) => h.verified)).toEqual([true, true]);
    expect(observer.retries).toEqual([{ action: "DescribeUserUsageDetailDataExportTask", attempt: 1, delayMs: 150, reason: "throttled" }]);
    expect(observer.calls.map((c) => [c.attempt, c.outcome, c.httpStatus])).toEqual([
      [1, "throttled", 503],
      [2, "ok", 200],
    ]);
  });

  it("retries creates on throttling (400 variant too) and gives up after maxAttempts", async () => {
    server.handler = sequence(upstreamError("Throttling", "flow control", 400), json(createdBody("t-1")));
    const client = clientFor(server, { maxAttempts: 2 });
    try {
      expect((await client.createUserUsageTask(CREATE)).taskId).toBe("t-1");
      server.handler = sequence(upstreamError("Throttling.Api", "flow control", 503));
      const error = await client.createUserUsageTask(CREATE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamThrottledError);
      expect(error).toMatchObject({ code: "UPSTREAM_THROTTLED", upstreamCode: "Throttling.Api", httpStatus: 503, requestId: "req-Throttling.Api" });
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(4);
  });

  it("does not retry when asked to wait longer than maxRetryAfterMs", async () => {
    server.handler = sequence(upstreamError("Throttling", "busy", 503, { "x-acs-retry-after": "60000" }));
    const client = clientFor(server, { maxRetryAfterMs: 1000 });
    try {
      const error = await client.describeTasks("USAGE_DETAIL", PAGE).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UPSTREAM_THROTTLED", retryAfterMs: 60000 });
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(1);
  });
});

describe("server errors", () => {
  it("retries 5xx for reads", async () => {
    server.handler = sequence(upstreamError("ServiceUnavailable", "try later", 503), upstreamError("InternalError", "oops", 500), json(pageBody([])));
    const observer = recordingObserver();
    const client = clientFor(server, { observer });
    try {
      const page = await client.describeTasks("USER_USAGE", PAGE);
      expect(page.tasks).toEqual([]);
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(3);
    expect(observer.retries.map((r) => [r.attempt, r.reason])).toEqual([
      [1, "rejected"],
      [2, "rejected"],
    ]);
  });

  it("does not retry 5xx for creates or deletes", async () => {
    server.handler = sequence(upstreamError("InternalError", "oops", 500));
    const client = clientFor(server);
    try {
      const error = await client.createUsageDetailTask({ type: "flow", ...CREATE }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamRejectedError);
      expect(error).toMatchObject({ upstreamCode: "InternalError", httpStatus: 500, isServerError: true });
      await expect(client.deleteTask("USER_USAGE", "9")).rejects.toBeInstanceOf(UpstreamRejectedError);
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(2);
  });

  it("never retries a 4xx rejection, and keeps the upstream code, message and request id", async () => {
    server.handler = sequence(upstreamError("InvalidTimeRange", "StartTime and EndTime range should less than 1 month.", 400));
    const client = clientFor(server);
    try {
      const error = await client.describeTasks("USAGE_DETAIL", PAGE).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "UPSTREAM_REJECTED",
        upstreamCode: "InvalidTimeRange",
        upstreamMessage: "StartTime and EndTime range should less than 1 month.",
        requestId: "req-InvalidTimeRange",
        httpStatus: 400,
        action: "DescribeUserUsageDetailDataExportTask",
      });
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(1);
  });

  it("treats a non-JSON 502 as a retryable server error for reads", async () => {
    server.handler = sequence({ kind: "raw", status: 502, body: "<html>bad gateway</html>" }, json(pageBody([])));
    const client = clientFor(server);
    try {
      await expect(client.describeTasks("USAGE_DETAIL", PAGE)).resolves.toMatchObject({ totalCount: 0 });
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(2);
  });
});

describe("timeouts", () => {
  it("fails a read with UpstreamTimeoutError after retrying when the server never answers", async () => {
    server.handler = () => ({ kind: "hang" });
    const observer = recordingObserver();
    const client = clientFor(server, { timeoutMs: 200, maxAttempts: 2, observer });
    try {
      const error = await client.describeTasks("USAGE_DETAIL", PAGE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamTimeoutError);
      expect(error).toMatchObject({ code: "UPSTREAM_TIMEOUT", timeoutMs: 200 });
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(2);
    expect(observer.calls.map((c) => c.outcome)).toEqual(["timeout", "timeout"]);
  });

  it("does not retry a create that timed out (it may have run)", async () => {
    server.handler = () => ({ kind: "hang" });
    const client = clientFor(server, { timeoutMs: 200, maxAttempts: 3 });
    try {
      await expect(client.createUserUsageTask(CREATE)).rejects.toBeInstanceOf(UpstreamTimeoutError);
      await expect(client.deleteTask("USAGE_DETAIL", "1")).rejects.toBeInstanceOf(UpstreamTimeoutError);
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(2);
  });

  it("counts the body in the deadline: headers then silence is a timeout", async () => {
    server.handler = () => ({ kind: "hang-body" });
    const client = clientFor(server, { timeoutMs: 200, maxAttempts: 1 });
    try {
      await expect(client.describeTasks("USAGE_DETAIL", PAGE)).rejects.toBeInstanceOf(UpstreamTimeoutError);
    } finally {
      await client.close();
    }
  });

  it("treats a deadline of a dispatcher passed in as a timeout too", async () => {
    server.handler = () => ({ kind: "hang" });
    const dispatcher = new Agent({ headersTimeout: 100 });
    const client = clientFor(server, { dispatcher, timeoutMs: 5000, maxAttempts: 1 });
    try {
      await expect(client.describeTasks("USAGE_DETAIL", PAGE)).rejects.toBeInstanceOf(UpstreamTimeoutError);
    } finally {
      await client.close();
      await dispatcher.close();
    }
  });

  it("hands a caller's abort back as its own reason, not as an upstream error", async () => {
    server.handler = () => ({ kind: "hang" });
    const client = clientFor(server, { timeoutMs: 5000 });
    const controller = new AbortController();
    try {
      const pending = client.createUserUsageTask(CREATE, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("caller went away")), 50);
      await expect(pending).rejects.toThrow("caller went away");
    } finally {
      await client.close();
    }
  });
});

describe("connection failures", () => {
  it("maps a dropped connection to UpstreamUnavailableError, retried for reads only", async () => {
    server.handler = sequence({ kind: "drop" }, json(pageBody([])));
    const client = clientFor(server);
    try {
      await expect(client.describeTasks("USAGE_DETAIL", PAGE)).resolves.toMatchObject({ totalCount: 0 });
      server.handler = () => ({ kind: "drop" });
      const error = await client.createUserUsageTask(CREATE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect((error as UpstreamUnavailableError).reason).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    } finally {
      await client.close();
    }
    expect(server.hits).toHaveLength(3);
  });

  it("maps a refused connection to UpstreamUnavailableError", async () => {
    const gone = await startUpstreamTestServer({ credentials: [AK] });
    const url = gone.url;
    await gone.close();
    const client = clientFor({ ...server, url }, { maxAttempts: 2 });
    try {
      const error = await client.describeTasks("USAGE_DETAIL", PAGE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error).toMatchObject({ reason: "ECONNREFUSED" });
    } finally {
      await client.close();
    }
  });
});

describe("malformed answers", () => {
  it("maps a 200 with a non-JSON body to UpstreamMalformedError", async () => {
    server.handler = () => ({ kind: "raw", body: '{"RequestId": "x", ' });
    const observer = recordingObserver();
    const client = clientFor(server, { observer });
    try {
      const error = await client.describeTasks("USAGE_DETAIL", PAGE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamMalformedError);
      expect(error).toMatchObject({ action: "DescribeUserUsageDetailDataExportTask", field: "(body)" });
    } finally {
      await client.close();
    }
    // A malformed body is not retried: the upstream would answer the same.
    expect(server.hits).toHaveLength(1);
    expect(observer.calls).toMatchObject([{ outcome: "malformed", httpStatus: 200 }]);
  });

  it("names the action and the field path when a body breaks the schema", async () => {
    server.handler = () => json(pageBody([taskItem({ TaskId: "1" }), { ...taskItem({ TaskId: "2" }), Status: 7 }]));
    const client = clientFor(server);
    try {
      const error = await client.describeTasks("USER_USAGE", PAGE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamMalformedError);
      expect(error).toMatchObject({ action: "DescribeUserUsageDataExportTask", field: "UsageDataPerPage.Data.DataItem[1].Status" });
      expect((error as Error).message).toContain("DescribeUserUsageDataExportTask");
      expect((error as Error).message).toContain("UsageDataPerPage.Data.DataItem[1].Status");
    } finally {
      await client.close();
    }
  });
});

describe("connection hygiene", () => {
  it("keeps a small pool usable after many error answers and timeouts (no leaked sockets)", async () => {
    const client = clientFor(server, { connections: 2, maxAttempts: 1, timeoutMs: 200 });
    try {
      server.handler = () => upstreamError("InvalidParameter", "bad", 400);
      for (let round = 0; round < 5; round += 1) {
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.deleteTask("USAGE_DETAIL", `${round}-${i}`)));
        expect(results.every((r) => r.status === "rejected")).toBe(true);
      }
      server.handler = () => ({ kind: "raw", body: "not json" });
      await Promise.allSettled(Array.from({ length: 10 }, () => client.describeTasks("USAGE_DETAIL", { pageNumber: 3, pageSize: 20 })));
      server.handler = () => ({ kind: "hang-body" });
      await Promise.allSettled([client.deleteTask("USAGE_DETAIL", "x"), client.deleteTask("USAGE_DETAIL", "y")]);

      server.handler = () => json(createdBody("after"));
      const results = await Promise.all(Array.from({ length: 6 }, () => client.createUserUsageTask(CREATE)));
      expect(results.map((r) => r.taskId)).toEqual(Array(6).fill("after"));
      expect(server.openConnections()).toBeLessThanOrEqual(2);
    } finally {
      await client.close();
    }
    expect(server.hits.filter((h) => !h.verified)).toEqual([]);
  });

  it("closes its own pool on close() and leaves no connection open", async () => {
    server.handler = () => json(pageBody([]));
    const client = clientFor(server);
    await client.describeTasks("USAGE_DETAIL", PAGE);
    await client.close();
    await expect.poll(() => server.openConnections()).toBe(0);
  });
});
