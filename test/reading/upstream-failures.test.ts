/**
 * Upstream failures as catalogue data: plain JSON (it crosses replicas in task watches), the
 * same code and extensions the resolvers raise (test/resolvers/upstream-errors.test.ts).
 */
import { describe, expect, test } from "vitest";
import { upstreamFailureData } from "../../src/reading/upstream-failures.js";
import { InvalidWindowError } from "../../src/reading/relay-window.js";
import { UpstreamQuotaExhaustedError, UpstreamRejectedError, UpstreamTimeoutError } from "../../src/upstream/errors.js";

const ACTION = "DescribeUserUsageDetailDataExportTask";

describe("upstreamFailureData", () => {
  test("an upstream failure becomes code, message and extensions, and survives JSON", () => {
    const data = upstreamFailureData(new UpstreamRejectedError(ACTION, "InvalidTimeRange", "too long", "req-1", 400));
    expect(data).toEqual({
      code: "UPSTREAM_REJECTED",
      message: `${ACTION} rejected by the upstream: InvalidTimeRange (HTTP 400): too long`,
      extensions: { upstream: { code: "InvalidTimeRange", requestId: "req-1", httpStatus: 400 } },
    });
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    expect(upstreamFailureData(new UpstreamTimeoutError(ACTION, 300))).toMatchObject({ code: "UPSTREAM_TIMEOUT", extensions: { timeoutMs: 300 } });
    expect(upstreamFailureData(new UpstreamQuotaExhaustedError(ACTION, 2000))?.code).toBe("UPSTREAM_THROTTLED");
  });

  test("a refused window is BAD_USER_INPUT naming the argument and rule", () => {
    expect(upstreamFailureData(new InvalidWindowError("before", "cursor-format", "before: not a cursor this gateway issued"))).toEqual({
      code: "BAD_USER_INPUT",
      message: "before: not a cursor this gateway issued",
      extensions: {
        field: "before",
        rule: "cursor-format",
        violations: [{ field: "before", rule: "cursor-format", message: "before: not a cursor this gateway issued" }],
      },
    });
  });

  test("anything else is not an upstream failure: null, for the caller to mask", () => {
    expect(upstreamFailureData(new TypeError("bug"))).toBeNull();
    expect(upstreamFailureData("text")).toBeNull();
  });
});
