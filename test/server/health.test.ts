import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

describe("GET /health and /ready against the embedded emulator", () => {
  let h: ServerHarness;
  beforeAll(async () => {
    // cacheMs 0: every /ready asks the upstream, so closing the emulator shows at once.
    h = await startServerHarness({ app: { gateway: { readiness: { cacheMs: 0, timeoutMs: 5000 } } } });
  });
  afterAll(() => h.close());

  it("/health answers 200 while the process is alive", async () => {
    const res = await fetch(`${h.base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("/ready answers 200 when the upstream answered a Describe page read", async () => {
    h.emulator!.resetStats();
    const res = await fetch(`${h.base}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { upstream: "ok" } });
    expect(h.emulator!.stats().calls.DescribeUserUsageDetailDataExportTask).toBeGreaterThanOrEqual(1);
  });

  it("HEAD /ready carries the status without a body", async () => {
    const res = await fetch(`${h.base}/ready`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("/ready answers 503 once the upstream stops answering; /health stays 200", async () => {
    await h.emulator!.close();
    const res = await fetch(`${h.base}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", checks: { upstream: "failed" } });
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
  });
});

describe("/ready caching", () => {
  it("a burst of /ready calls costs at most one upstream read within the cache window", async () => {
    const h = await startServerHarness({ app: { gateway: { readiness: { cacheMs: 60_000 } } } });
    try {
      h.emulator!.resetStats();
      const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${h.base}/ready`).then((r) => r.status)));
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(h.emulator!.stats().total).toBe(1);
    } finally {
      await h.close();
    }
  });
});
