/**
 * ExportContents: a finished export is downloaded and parsed once, kept up to its byte budget
 * (least recently used first), shared by concurrent requests; failures are not kept. Against
 * the emulator's own download URLs and a counting file server on loopback.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { downloadUrlPolicy } from "../../src/exports/download-policy.js";
import { ExportDownloader } from "../../src/exports/download.js";
import { ExportUnavailableError } from "../../src/exports/errors.js";
import { ExportContents, type ExportContentsOptions } from "../../src/exports/export-contents.js";
import { usageSeries } from "../../src/exports/usage-series.js";
import { manualClock } from "../emulator/clock.js";
import { callV3 } from "../emulator/signed-call.js";
import { expectedSlots, tempFiles, usageTask, type TempFiles } from "./workbook-files.js";

const clock = manualClock(Date.UTC(2025, 5, 15, 12));
let emulator: RunningEmulator;
let files: TempFiles;
let fileServer: Server;
let origin: string;
const hits = new Map<string, number>();
let inFlight = 0;
let mostInFlight = 0;
const bodies = new Map<string, Buffer>();
const downloaders: ExportDownloader[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ now: clock.now, historySize: 0, taskSeconds: 0, workbookShape: { titleRows: true, time: "zoned-text" } });
  files = await tempFiles();
  for (const [name, end] of [["one", "2025-06-01T06:00:00Z"], ["two", "2025-06-01T12:00:00Z"], ["three", "2025-06-02T00:00:00Z"]] as const) {
    bodies.set(`/${name}.xlsx`, await readFile(await files.workbook(usageTask({ taskId: name, endTime: end }))));
  }
  fileServer = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = bodies.get(path);
    if (path === "/expired.xlsx") res.writeHead(403).end();
    else if (body) {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(200, { "content-length": body.length }).end(body);
      }, 20);
    }
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => fileServer.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(downloaders.map((d) => d.close()));
  await emulator.close();
  fileServer.closeAllConnections();
  await new Promise((resolve) => fileServer.close(resolve));
  await files.remove();
});

function contents(options: Partial<ExportContentsOptions> = {}): ExportContents {
  const downloader = new ExportDownloader({ policy: downloadUrlPolicy({ origins: [origin, emulator.url], httpsHostSuffixes: [] }) });
  downloaders.push(downloader);
  return new ExportContents({ downloader, fileTimeZone: "Asia/Shanghai", ...options });
}

const source = (path: string) => ({ url: `${origin}${path}?Signature=x`, refreshUrl: () => Promise.resolve(null) });

describe("ExportContents", () => {
  it("reads an emulator export by its DownloadUrl", async () => {
    const params = { Type: "flow", StartTime: "2025-06-01T00:00:00Z", EndTime: "2025-06-01T03:00:00Z", DomainNames: "a.example.com,b.example.com" };
    const created = await callV3(emulator, "CreateUsageDetailDataExportTask", params, { time: clock.now() });
    const taskId = String(created.body.TaskId);
    const listed = await callV3(emulator, "DescribeUserUsageDetailDataExportTask", { PageSize: "1" }, { time: clock.now() });
    const url = (listed.body as { UsageDataPerPage: { Data: { DataItem: { DownloadUrl: string }[] } } }).UsageDataPerPage.Data.DataItem[0]!.DownloadUrl;
    const table = await contents().usageTable(`USAGE_DETAIL:${taskId}`, { url, refreshUrl: () => Promise.resolve(null) });
    const slots = expectedSlots(usageTask({ taskId, startTime: params.StartTime, endTime: params.EndTime, domains: ["a.example.com", "b.example.com"] }));
    expect(table.rowCount).toBe(slots.length);
    const series = usageSeries(table, { interval: "HOUR", timeZone: "UTC" });
    expect(series.summary.trafficBytes).toBe(slots.reduce((sum, slot) => sum + slot.trafficBytes, 0));
  });

  it("50 concurrent first requests: one download, one parse; then hits", async () => {
    const store = contents();
    const forms = await Promise.all(Array.from({ length: 50 }, () => store.parsed("USAGE_DETAIL:one", source("/one.xlsx"))));
    expect(new Set(forms).size).toBe(1);
    expect(hits.get("/one.xlsx")).toBe(1);
    expect(store.stats).toEqual({ downloads: 1, parses: 1, hits: 0, shared: 49, fromStore: 0 });
    expect(await store.usageTable("USAGE_DETAIL:one", source("/one.xlsx"))).toBe(forms[0]!.usage);
    expect(hits.get("/one.xlsx")).toBe(1);
    expect(store.stats.hits).toBe(1);
    expect(store.heldBytes).toBe(forms[0]!.byteSize);
  });

  it("keeps the most recently used within its byte budget", async () => {
    const probe = contents();
    const two = await probe.parsed("two", source("/two.xlsx"));
    const three = await probe.parsed("three", source("/three.xlsx"));
    const before = hits.get("/two.xlsx") ?? 0;
    const store = contents({ cacheBytes: three.byteSize + two.byteSize - 1 });
    await store.parsed("two", source("/two.xlsx"));
    await store.parsed("three", source("/three.xlsx"));
    expect(store.heldBytes).toBe(three.byteSize);
    await store.parsed("two", source("/two.xlsx"));
    expect(hits.get("/two.xlsx")).toBe(before + 2);
    // Room for two forms of one size: the one read again stays, the one not touched since goes.
    const size = Math.ceil(two.byteSize);
    const lru = contents({ cacheBytes: 2 * size });
    await lru.parsed("older", source("/two.xlsx"));
    await lru.parsed("newer", source("/two.xlsx"));
    expect(lru.heldBytes).toBe(2 * two.byteSize);
    await lru.parsed("older", source("/two.xlsx"));
    expect(lru.stats).toMatchObject({ downloads: 2, hits: 1 });
    await lru.parsed("newest", source("/two.xlsx"));
    expect(lru.stats).toMatchObject({ downloads: 3, hits: 1 });
    await lru.parsed("older", source("/two.xlsx"));
    expect(lru.stats).toMatchObject({ downloads: 3, hits: 2 });
    await lru.parsed("newer", source("/two.xlsx"));
    expect(lru.stats).toMatchObject({ downloads: 4, hits: 2 });
    // Larger than the whole budget: answered, not kept.
    const tiny = contents({ cacheBytes: 100 });
    expect((await tiny.usageTable("three", source("/three.xlsx"))).rowCount).toBe(three.usage.rowCount);
    expect(tiny.heldBytes).toBe(0);
    // EXPORT_CACHE_BYTES=0: nothing kept, concurrent requests still share one read.
    const none = contents({ cacheBytes: 0 });
    const [a, b] = await Promise.all([none.usageTable("two", source("/two.xlsx")), none.usageTable("two", source("/two.xlsx"))]);
    expect(a).toBe(b);
    expect(none.heldBytes).toBe(0);
    await none.usageTable("two", source("/two.xlsx"));
    expect(none.stats).toMatchObject({ downloads: 2, shared: 1, hits: 0 });
  });

  it("reads at most `concurrentReads` files at once; the rest wait their turn", async () => {
    mostInFlight = 0;
    const store = contents({ concurrentReads: 2 });
    const names = ["one", "two", "three", "one", "two", "three"].map((name, i) => [`k${i}`, name] as const);
    const forms = await Promise.all(names.map(([key, name]) => store.parsed(key, source(`/${name}.xlsx`))));
    expect(forms.every((form) => form.usage.rowCount > 0)).toBe(true);
    expect(store.stats.downloads).toBe(6);
    expect(mostInFlight).toBe(2);
  });

  it("does not keep a failure; refreshes an expired link once", async () => {
    const store = contents();
    await expect(store.usageTable("gone", source("/gone.xlsx"))).rejects.toMatchObject({ code: "EXPORT_UNAVAILABLE", reason: "fetch-failed" });
    let refreshed = 0;
    const table = await store.usageTable("gone", {
      url: `${origin}/expired.xlsx?Signature=x`,
      refreshUrl: () => {
        refreshed += 1;
        return Promise.resolve(`${origin}/one.xlsx?Signature=y`);
      },
    });
    expect(refreshed).toBe(1);
    expect(table.domains.length).toBe(3);
    expect(store.stats.downloads).toBe(2);
  });

  it("a caller that gives up does not stop the others", async () => {
    const store = contents();
    const controller = new AbortController();
    const quitter = store.usageTable("three", source("/three.xlsx"), controller.signal);
    const stayer = store.usageTable("three", source("/three.xlsx"));
    controller.abort(new Error("client went away"));
    await expect(quitter).rejects.toThrow("client went away");
    expect((await stayer).rowCount).toBe(288 * 3);
  });

  it("errors are the typed ones", async () => {
    const error: unknown = await contents()
      .usageTable("expired", source("/expired.xlsx"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportUnavailableError);
    expect((error as ExportUnavailableError).reason).toBe("expired");
  });
});
