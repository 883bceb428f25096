/** Upstream failures become the contract's codes, with no secret in sight. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { GraphQLError } from "graphql";
import { toGatewayError } from "../../src/resolvers/upstream-errors.js";
import {
  UpstreamMalformedError,
  UpstreamQuotaExhaustedError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../../src/upstream/errors.js";
import { InvalidWindowError } from "../../src/reading/relay-window.js";
import { DEMO_ACCESS_KEY_ID } from "../../src/emulator/index.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";

const ACTION = "DescribeUserUsageDetailDataExportTask";

function mapped(error: unknown): GraphQLError {
  const result = toGatewayError(error);
  expect(result).toBeInstanceOf(GraphQLError);
  return result as GraphQLError;
}

describe("toGatewayError", () => {
  test("throttling and the gateway's own quota → UPSTREAM_THROTTLED", () => {
    expect(mapped(new UpstreamThrottledError(ACTION, "Throttling.User", "req-1", 503, 1200)).extensions).toEqual({
      code: "UPSTREAM_THROTTLED",
      retryAfterMs: 1200,
      upstream: { code: "Throttling.User", requestId: "req-1", httpStatus: 503 },
    });
    expect(mapped(new UpstreamQuotaExhaustedError(ACTION, 500)).extensions.code).toBe("UPSTREAM_THROTTLED");
  });

  test("timeouts → UPSTREAM_TIMEOUT", () => {
    expect(mapped(new UpstreamTimeoutError(ACTION, 5000)).extensions).toEqual({ code: "UPSTREAM_TIMEOUT", timeoutMs: 5000 });
  });

  test("unreachable, malformed and 5xx → UPSTREAM_UNAVAILABLE", () => {
    expect(mapped(new UpstreamUnavailableError(ACTION, "ECONNRESET")).extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(mapped(new UpstreamMalformedError(ACTION, "UsageDataPerPage", "missing")).extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(mapped(new UpstreamRejectedError(ACTION, "ServiceUnavailable", "boom", "req-2", 503)).extensions).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      upstream: { code: "ServiceUnavailable", requestId: "req-2", httpStatus: 503 },
    });
  });

  test("4xx → UPSTREAM_REJECTED with the upstream's code, request id and status", () => {
    const error = mapped(new UpstreamRejectedError(ACTION, "InvalidTimeRange", "StartTime and EndTime range should less than 1 month.", "req-3", 400));
    expect(error.extensions).toEqual({ code: "UPSTREAM_REJECTED", upstream: { code: "InvalidTimeRange", requestId: "req-3", httpStatus: 400 } });
    expect(error.message).toContain("less than 1 month");
  });

  test("signature errors keep the upstream's text (it may echo the string to sign) out", () => {
    const error = mapped(new UpstreamRejectedError(ACTION, "SignatureDoesNotMatch", "server string to sign is: POST&%2F&AccessKeyId%3DLTAIxyz", "r", 400));
    expect(error.message).not.toContain("string to sign");
    expect(error.message).not.toContain("LTAIxyz");
  });

  test("refused windows → BAD_USER_INPUT; other errors pass through", () => {
    expect(mapped(new InvalidWindowError("after", "cursor-format", "bad")).extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "after",
      rule: "cursor-format",
      violations: [{ field: "after", rule: "cursor-format", message: "bad" }],
    });
    const bug = new TypeError("bug");
    expect(toGatewayError(bug)).toBe(bug);
  });
});

describe("through the gateway against the emulator", () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({ emulator: { historySize: 10 }, client: { timeoutMs: 300 } });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emulator.setFaults({});
  });

  async function firstError(): Promise<{ message: string; extensions: Record<string, unknown> }> {
    const response = await h.execute(`{ tasks(first: 5) { totalCount } }`);
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    return { message: error!.message, extensions: error!.extensions ?? {} };
  }

  test("throttling", async () => {
    h.emulator.setFaults({ throttleRate: 1 });
    const { extensions } = await firstError();
    expect(extensions).toMatchObject({ code: "UPSTREAM_THROTTLED", upstream: { httpStatus: 503 } });
    expect(JSON.stringify(extensions.upstream)).toContain('"code":"Throttling');
  });

  test("server errors, dropped connections and malformed bodies", async () => {
    for (const faults of [{ serverErrorRate: 1 }, { dropRate: 1 }, { malformedRate: 1 }]) {
      h.emulator.setFaults(faults);
      expect((await firstError()).extensions.code, JSON.stringify(faults)).toBe("UPSTREAM_UNAVAILABLE");
    }
  });

  test("a slow upstream", async () => {
    h.emulator.setFaults({ latencyMs: 3000 });
    expect((await firstError()).extensions).toMatchObject({ code: "UPSTREAM_TIMEOUT", timeoutMs: 300 });
  });
});

test("a wrong AccessKey secret → UPSTREAM_REJECTED, and the secret appears nowhere", async () => {
  const secret = "wrong-secret-value-1234567890";
  const h = await startGatewayHarness({ credentials: { accessKeyId: DEMO_ACCESS_KEY_ID, accessKeySecret: secret } });
  try {
    const response = await h.execute(`{ tasks(first: 5) { totalCount } }`);
    const extensions = response.errors?.[0]?.extensions;
    expect(extensions).toMatchObject({ code: "UPSTREAM_REJECTED", upstream: { code: "SignatureDoesNotMatch", httpStatus: 400 } });
    expect(JSON.stringify(extensions?.upstream)).toMatch(/"requestId":"[^"]+"/);
    expect(JSON.stringify(response)).not.toContain(secret);
  } finally {
    await h.close();
  }
});
