import { describe, expect, test } from "vitest";
import { GraphQLError, GraphQLScalarType } from "graphql";
import { formatUtcSeconds, oneYearBefore, parseUtcSeconds, toUtcSeconds } from "../../src/resolvers/date-time.js";
import { DateTime } from "../../src/schema/scalars.js";
import { schema } from "../../src/schema/index.js";

describe("UTC seconds", () => {
  test("parse accepts exactly yyyy-MM-ddTHH:mm:ssZ of a real instant", () => {
    expect(parseUtcSeconds("2024-02-29T23:59:59Z")).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseUtcSeconds("2000-02-29T00:00:00Z")).toBe(Date.UTC(2000, 1, 29));
    expect(parseUtcSeconds("1900-02-29T00:00:00Z")).toBeNull();
    for (const bad of ["2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.000Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+00:00", "0099-01-01T00:00:00Z", "", "2024-1-01T00:00:00Z", "2024-01-01T00:00:0aZ", "2024-01-01T0-:00:00Z", "+024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01t00:00:00Z", "2024-01-01T00:00:00z"]) {
      expect(parseUtcSeconds(bad), bad).toBeNull();
    }
  });

  test("format drops milliseconds; output accepts upstream strings, Dates and epoch ms", () => {
    expect(formatUtcSeconds(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe("2024-01-02T03:04:05Z");
    expect(toUtcSeconds("2018-10-09T06:33:38Z")).toBe("2018-10-09T06:33:38Z");
    expect(toUtcSeconds("2018-10-09T14:33:38.5+08:00")).toBe("2018-10-09T06:33:38Z");
    expect(toUtcSeconds(new Date(Date.UTC(2020, 5, 1)))).toBe("2020-06-01T00:00:00Z");
    expect(toUtcSeconds("yesterday")).toBeNull();
  });

  test("one year back is 365 days, as the upstream counts", () => {
    expect(oneYearBefore(Date.UTC(2025, 0, 1))).toBe(Date.UTC(2024, 0, 2));
  });

  test("the scalar is the schema's DateTime", () => {
    expect(schema.getType("DateTime")?.name).toBe(DateTime.name);
  });

  test("a time the upstream sent that is not a time is a malformed answer (UPSTREAM_UNAVAILABLE), not an uncoded error", () => {
    const scalar = schema.getType("DateTime");
    if (!(scalar instanceof GraphQLScalarType)) throw new Error("DateTime is not a scalar");
    expect(scalar.serialize("2018-10-09T14:33:38+08:00")).toBe("2018-10-09T06:33:38Z");
    let thrown: unknown;
    try {
      scalar.serialize("yesterday");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphQLError);
    expect((thrown as GraphQLError).extensions).toEqual({ code: "UPSTREAM_UNAVAILABLE", reason: "malformed-response" });
  });
});
