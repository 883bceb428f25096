/**
 * The cost budget and export contents: pages of points and rows (items in memory, no upstream
 * call) count per hundred items, so a full page of 1000 points fits the default budget and
 * `first: 1001` reaches the resolver's own rule (BAD_USER_INPUT), while many tasks' pages do not fit.
 */
import { parse, specifiedRules, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { costLimitRule } from "../../src/http/operation-limits.js";
import { schema } from "../../src/schema/index.js";

function costErrors(query: string): Record<string, unknown>[] {
  const errors = validate(schema, parse(query), [...specifiedRules, costLimitRule(5000)]);
  expect(errors.filter((e) => e.extensions["limit"] !== "cost")).toEqual([]);
  return errors.map((e) => e.extensions);
}

const POINTS = (first: string) => `points(first: ${first}) { totalCount pageInfo { endCursor } edges { cursor node { time trafficBytes bandwidthBps requests } } }`;

describe("cost of export contents", () => {
  it("a full page of points or rows, with every field, fits the budget", () => {
    expect(costErrors(`{ task(taskId: "1") { usage(interval: HOUR) { summary { trafficBytes requests peakBandwidthBps peakAt p95BandwidthBps } ${POINTS("1000")} } } }`)).toEqual([]);
    expect(costErrors(`{ task(taskId: "1") { usage { ${POINTS("1001")} } } }`)).toEqual([]);
    expect(costErrors(`query($n: Int) { task(taskId: "1") { usage { ${POINTS("$n")} } sheets { name headers rowCount rows { totalCount edges { cursor node { cells } } } } } }`)).toEqual([]);
  });

  it("pages of points under a page of tasks multiply", () => {
    const [error] = costErrors(`{ tasks(first: 100) { edges { node { usage { ${POINTS("1000")} } } } } }`);
    expect(error).toMatchObject({ code: "GRAPHQL_VALIDATION_FAILED", limit: "cost" });
  });
});
