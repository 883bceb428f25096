import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { postGraphQL, startServerHarness } from "../helpers/server-harness.js";

const TASKS = "query Tasks { tasks(first: 3) { totalCount edges { node { taskId } } } }";

/** A GET on a brand-new connection (no keep-alive pool that could hide a closed listener). */
function freshGet(url: string): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on("error", reject).end();
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("graceful shutdown", () => {
  it("answers /ready 503 while draining, finishes the in-flight request, then closes the upstream side", async () => {
    const h = await startServerHarness({ env: { CDN_CACHE_TTL_MS: "0", SHUTDOWN_DRAIN_DELAY_MS: "3000" } });
    const emulator = h.emulator!;
    expect((await freshGet(`${h.base}/ready`)).status).toBe(200);
    emulator.setFaults({ latencyMs: 1500 });
    emulator.resetStats();

    const inFlight = postGraphQL(h.url, TASKS);
    await until(() => emulator.stats().total >= 1, "the upstream call to start");
    const closing = h.close();

    const ready = await freshGet(`${h.base}/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: "draining" });
    expect(ready.connection).toBe("close");
    expect((await freshGet(`${h.base}/health`)).status).toBe(200);

    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(done.body.errors).toBeUndefined();
    expect((done.body.data as { tasks: { edges: unknown[] } }).tasks.edges).toHaveLength(3);

    await closing;
    await expect(freshGet(`${h.base}/health`)).rejects.toThrow();
    // The onClose hooks ran: the embedded emulator is gone too.
    await expect(freshGet(`${emulator.url}/`)).rejects.toThrow();
    expect(h.logs.records().some((r) => r.msg === "shut down")).toBe(true);
  });

  it("stops accepting at once without a drain delay, yet the in-flight request completes", async () => {
    const h = await startServerHarness({ env: { CDN_CACHE_TTL_MS: "0" } });
    const emulator = h.emulator!;
    emulator.setFaults({ latencyMs: 1000 });
    emulator.resetStats();
    const inFlight = postGraphQL(h.url, TASKS);
    await until(() => emulator.stats().total >= 1, "the upstream call to start");
    const closing = h.close();
    await expect(freshGet(`${h.base}/health`)).rejects.toThrow();
    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(done.body.errors).toBeUndefined();
    await closing;
    expect(h.gateway.draining).toBe(true);
    // close() is idempotent.
    await h.close();
  });
});
