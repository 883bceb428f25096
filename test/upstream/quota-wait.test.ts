/**
 * CDN_QUOTA_WAIT_MS through the real app: a call that would wait longer than that for a slot of
 * CDN_RATE_LIMIT fails at once with UPSTREAM_THROTTLED (and never reaches the upstream); with
 * the default wait the same burst queues and every query is answered.
 */
import { afterEach, describe, expect, test } from "vitest";
import { encodeCursor } from "../../src/reading/cursors.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const PAGE = "query P($after: String) { tasks(first: 1, after: $after) { totalCount } }";

/** Three reads of three different pages (2, 3, 4), sent together. */
async function burst(h: ServerHarness): Promise<unknown[]> {
  const afters = [49, 99, 149].map((offset) => encodeCursor(offset));
  const answers = await Promise.all(afters.map((after) => postGraphQL(h.url, PAGE, { variables: { after } })));
  return answers.map((a) => a.body.errors?.[0]?.extensions?.["code"] ?? "ok");
}

describe("CDN_QUOTA_WAIT_MS", () => {
  let h: ServerHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test("0: calls past the rate fail fast with UPSTREAM_THROTTLED, and the upstream never sees them", async () => {
    h = await startServerHarness({ env: { CDN_RATE_LIMIT: "2", CDN_QUOTA_WAIT_MS: "0", CDN_CACHE_TTL_MS: "0" } });
    expect(h.config.upstream.quotaWaitMs).toBe(0);
    h.emulator!.resetStats();
    const codes = await burst(h);
    // Two slots, one still held by the start-up readiness probe: at most two of three get through.
    expect(codes.filter((c) => c === "UPSTREAM_THROTTLED").length).toBeGreaterThanOrEqual(1);
    expect(codes.every((c) => c === "ok" || c === "UPSTREAM_THROTTLED")).toBe(true);
    expect(h.emulator!.stats().total).toBe(codes.filter((c) => c === "ok").length);
  });

  test("default: the same burst waits for its slots and every query is answered", async () => {
    h = await startServerHarness({ env: { CDN_RATE_LIMIT: "2", CDN_CACHE_TTL_MS: "0" } });
    expect(h.config.upstream.quotaWaitMs).toBe(5000);
    const codes = await burst(h);
    expect(codes).toEqual(["ok", "ok", "ok"]);
  });
});
