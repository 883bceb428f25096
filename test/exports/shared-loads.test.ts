/**
 * Replicas sharing one read of an export through a real Redis: three replicas (each its own
 * connection, downloader and cache) asking at once cost one download and one parse in all;
 * a failure reaches the waiters; a dead holder's lock runs out and another replica reads; a
 * waiter never waits past its limit; Redis trouble never fails a read.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadUrlPolicy } from "../../src/exports/download-policy.js";
import { ExportDownloader } from "../../src/exports/download.js";
import { ExportContents } from "../../src/exports/export-contents.js";
import { rawRows } from "../../src/exports/raw-sheet.js";
import { SharedLoads, type SharedLoadsOptions } from "../../src/exports/shared-loads.js";
import { createRedisExportStore, type ExportStore } from "../../src/state/export-store.js";
import { closedPort, deleteKeysWithPrefix, redisReachable, TEST_REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { tempFiles, usageTask, type TempFiles } from "./workbook-files.js";

const hasRedis = await redisReachable();

describe.skipIf(!hasRedis)("one read for all replicas", () => {
  const prefix = uniquePrefix("shared-loads");
  const connections: Redis[] = [];
  const downloaders: ExportDownloader[] = [];
  let files: TempFiles;
  let fileServer: Server;
  let origin: string;
  let body: Buffer;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    files = await tempFiles();
    body = await readFile(await files.workbook(usageTask({ endTime: "2025-06-03T00:00:00Z" })));
    fileServer = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      hits.set(path, (hits.get(path) ?? 0) + 1);
      // Slow enough that every replica asks while the first is still reading.
      if (path.startsWith("/file")) setTimeout(() => res.writeHead(200).end(body), 150);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => fileServer.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(downloaders.map((d) => d.close()));
    await deleteKeysWithPrefix(connections[0]!, prefix);
    for (const connection of connections) connection.disconnect();
    fileServer.closeAllConnections();
    await new Promise((resolve) => fileServer.close(resolve));
    await files.remove();
  });

  function storeOn(url = TEST_REDIS_URL): ExportStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: url !== TEST_REDIS_URL });
    redis.on("error", () => undefined);
    connections.push(redis);
    return createRedisExportStore({ redis, keyPrefix: prefix });
  }

  function replica(shared: Partial<SharedLoadsOptions> = {}, store: ExportStore = storeOn()): ExportContents {
    const downloader = new ExportDownloader({ policy: downloadUrlPolicy({ origins: [origin], httpsHostSuffixes: [] }) });
    downloaders.push(downloader);
    return new ExportContents({
      downloader,
      fileTimeZone: "Asia/Shanghai",
      shared: new SharedLoads({ store, maxWaitMs: 10_000, pollMs: 20, ...shared }),
    });
  }

  const source = (path: string) => ({ url: `${origin}${path}?Signature=s`, refreshUrl: () => Promise.resolve(null) });
  const total = (replicas: ExportContents[], field: "downloads" | "parses" | "fromStore"): number => replicas.reduce((sum, r) => sum + r.stats[field], 0);

  it("3 replicas × 10 concurrent requests: 1 download and 1 parse in all, the same answer everywhere", async () => {
    const replicas = [replica(), replica(), replica()];
    const answers = await Promise.all(replicas.flatMap((r) => Array.from({ length: 10 }, () => r.parsed("USAGE_DETAIL:a", source("/file-a.xlsx")))));
    expect(hits.get("/file-a.xlsx")).toBe(1);
    expect(total(replicas, "downloads")).toBe(1);
    expect(total(replicas, "parses")).toBe(1);
    expect(total(replicas, "fromStore")).toBe(2);
    const [first] = answers;
    for (const answer of answers) {
      expect(answer.usage.rowCount).toBe(first!.usage.rowCount);
      expect(Array.from(answer.usage.values.traffic![1]!)).toEqual(Array.from(first!.usage.values.traffic![1]!));
      expect(rawRows(answer.sheets[0]!, 500, 510)).toEqual(rawRows(first!.sheets[0]!, 500, 510));
    }
    // A replica started later finds it stored: no download at all.
    const late = replica();
    expect((await late.parsed("USAGE_DETAIL:a", source("/file-a.xlsx"))).usage.rowCount).toBe(first!.usage.rowCount);
    expect(late.stats).toMatchObject({ downloads: 0, parses: 0, fromStore: 1 });
  });

  it("a failed read reaches the replicas waiting for it (one download), and is not kept for long", async () => {
    const replicas = [replica(), replica(), replica()];
    const results = await Promise.allSettled(replicas.map((r) => r.parsed("USAGE_DETAIL:gone", source("/gone.xlsx"))));
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "EXPORT_UNAVAILABLE", reason: "fetch-failed", host: "127.0.0.1" });
    }
    expect(hits.get("/gone.xlsx")).toBe(1);
  });

  it("a holder that died: its lock runs out and the next replica reads", async () => {
    const store = storeOn();
    const dead = await store.lock("USAGE_DETAIL:b", 300);
    expect(dead).not.toBeNull();
    const started = performance.now();
    const r = replica({}, store);
    await r.parsed("USAGE_DETAIL:b", source("/file-b.xlsx"));
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(r.stats).toMatchObject({ downloads: 1, parses: 1, fromStore: 0 });
  });

  it("a waiter reads the file itself once it has waited maxWaitMs", async () => {
    const store = storeOn();
    const busy = await store.lock("USAGE_DETAIL:c", 60_000);
    const r = replica({ maxWaitMs: 200 }, store);
    const started = performance.now();
    await r.parsed("USAGE_DETAIL:c", source("/file-c.xlsx"));
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(r.stats.downloads).toBe(1);
    await busy?.release();
  });

  it("unreadable stored bytes are read again and replaced", async () => {
    const store = storeOn();
    await store.put("USAGE_DETAIL:d", Buffer.from("CXP1 garbage that is no parsed export"), 60_000);
    const errors: unknown[] = [];
    const r = replica({ onStoreError: (error) => errors.push(error) }, store);
    await r.parsed("USAGE_DETAIL:d", source("/file-d.xlsx"));
    expect(r.stats.downloads).toBe(1);
    expect(errors.length).toBeGreaterThan(0);
    const fresh = replica({}, store);
    await fresh.parsed("USAGE_DETAIL:d", source("/file-d.xlsx"));
    expect(fresh.stats).toMatchObject({ downloads: 0, fromStore: 1 });
  });

  it("Redis down: every replica reads for itself, no request fails", async () => {
    const errors: unknown[] = [];
    const down = storeOn(`redis://127.0.0.1:${await closedPort()}`);
    const r = replica({ onStoreError: (error) => errors.push(error) }, down);
    expect((await r.parsed("USAGE_DETAIL:e", source("/file-e.xlsx"))).usage.rowCount).toBe(2 * 288 * 3);
    expect(r.stats.downloads).toBe(1);
    expect(errors.length).toBeGreaterThan(0);
  });
});
