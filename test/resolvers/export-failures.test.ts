/**
 * Reading export files the upstream points at, over real HTTP: an expired link (403 from storage)
 * is replaced once by the task's current DownloadUrl, read from the upstream past the page
 * cache; every way a file cannot be had or read is its typed error, on `usage` and `sheets`
 * alike, and the CSV route answers it with the route's status.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExportStorage, startListingUpstream, gatewayOn, type ExportStorage, type ListedTask } from "../helpers/export-storage.js";
import { postGraphQL, type ServerHarness } from "../helpers/server-harness.js";
import type { UpstreamTestServer } from "../helpers/upstream-test-server.js";
import { tempFiles, usageTask, withDamagedEntry, type TempFiles } from "../exports/workbook-files.js";

const QUERY = `query($id: String!) { task(taskId: $id) { taskId usage(interval: HOUR) { summary { trafficBytes } } sheets { rowCount } } }`;

describe("export files behind the upstream's links", () => {
  let files: TempFiles;
  let storage: ExportStorage;
  let upstream: UpstreamTestServer & { listings: () => number };
  let h: ServerHarness;
  let small: ServerHarness;
  const tasks: ListedTask[] = [];

  beforeAll(async () => {
    files = await tempFiles();
    const workbook = await readFile(await files.workbook(usageTask({ taskId: "100" })));
    storage = await startExportStorage();
    storage.answer("/bill/100.xlsx", { kind: "file", body: workbook });
    storage.answer("/bill/expired.xlsx", { kind: "status", status: 403 });
    storage.answer("/bill/broken.xlsx", { kind: "status", status: 500 });
    storage.answer("/bill/cut.xlsx", { kind: "drop" });
    storage.answer("/bill/damaged.xlsx", { kind: "file", body: withDamagedEntry(workbook, "xl/worksheets/sheet1.xml") });
    storage.answer("/bill/page.html", { kind: "file", body: Buffer.from("<html>Access denied</html>") });
    storage.answer("/bill/away.xlsx", { kind: "redirect", location: "http://127.0.0.2:9/bill/100.xlsx" });
    const url = (path: string, signature: string) => `${storage.origin}${path}?Expires=1900000000&OSSAccessKeyId=AK&Signature=${signature}`;
    tasks.push(
      { TaskId: "100", downloadUrls: [url("/bill/expired.xlsx", "old"), url("/bill/100.xlsx", "fresh")] },
      { TaskId: "101", downloadUrls: [url("/bill/expired.xlsx", "old")] },
      { TaskId: "102", downloadUrls: [url("/bill/broken.xlsx", "s")] },
      { TaskId: "103", downloadUrls: [url("/bill/cut.xlsx", "s")] },
      { TaskId: "104", downloadUrls: [url("/bill/page.html", "s")] },
      { TaskId: "105", downloadUrls: [url("/bill/away.xlsx", "s")] },
      { TaskId: "106", downloadUrls: ["http://10.0.0.1/bill/100.xlsx?Signature=s"] },
      { TaskId: "107", downloadUrls: [url("/bill/100.xlsx", "s")] },
      { TaskId: "108", Status: "failed", downloadUrls: [url("/bill/100.xlsx", "s")] },
      { TaskId: "109", downloadUrls: [url("/bill/damaged.xlsx", "s")] },
    );
    upstream = await startListingUpstream(() => tasks);
    h = await gatewayOn(upstream, storage);
    small = await gatewayOn(upstream, storage, { EXPORT_MAX_FILE_BYTES: "2048" });
  });
  afterAll(async () => {
    await h.close();
    await small.close();
    await upstream.close();
    await storage.close();
    await files.remove();
  });

  async function read(harness: ServerHarness, id: string) {
    const res = await postGraphQL(harness.url, QUERY, { variables: { id } });
    return { task: (res.body.data as { task: Record<string, unknown> | null } | undefined)?.task ?? null, errors: res.body.errors ?? [] };
  }

  it("an expired link is refreshed from the upstream's list once (past the page cache), then read", async () => {
    const before = upstream.listings();
    const { task, errors } = await read(h, "100");
    expect(errors).toEqual([]);
    expect(task).toMatchObject({ taskId: "100", sheets: [{ rowCount: 288 * 3 }, { rowCount: 7 }] });
    expect((task!["usage"] as { summary: { trafficBytes: number } }).summary.trafficBytes).toBeGreaterThan(0);
    expect(storage.hits.get("/bill/expired.xlsx")).toBe(1);
    expect(storage.hits.get("/bill/100.xlsx")).toBe(1);
    // The lookup read the list, and the refresh read it again although the page was fresh in the cache.
    expect(upstream.listings() - before).toBe(2);
  });

  it("the list still gives the expired link: EXPORT_UNAVAILABLE expired, storage not asked twice", async () => {
    const expiredBefore = storage.hits.get("/bill/expired.xlsx") ?? 0;
    const { task, errors } = await read(h, "101");
    expect(task).toMatchObject({ usage: null, sheets: null });
    expect(errors.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code: "EXPORT_UNAVAILABLE", reason: "expired" }),
      expect.objectContaining({ code: "EXPORT_UNAVAILABLE", reason: "expired" }),
    ]);
    expect((storage.hits.get("/bill/expired.xlsx") ?? 0) - expiredBefore).toBe(1);
  });

  it("each failure is its typed error, on usage and sheets, and in the CSV route's status", async () => {
    const cases: [ServerHarness, string, Record<string, unknown>, number][] = [
      [h, "102", { code: "EXPORT_UNAVAILABLE", reason: "fetch-failed" }, 502],
      [h, "103", { code: "EXPORT_UNAVAILABLE", reason: "fetch-failed" }, 502],
      [h, "104", { code: "EXPORT_FORMAT_UNRECOGNIZED", headers: [] }, 422],
      [h, "105", { code: "EXPORT_UNAVAILABLE", reason: "host-not-allowed" }, 502],
      [h, "106", { code: "EXPORT_UNAVAILABLE", reason: "host-not-allowed" }, 502],
      [small, "107", { code: "EXPORT_TOO_LARGE", limitBytes: 2048 }, 413],
    ];
    for (const [harness, id, extensions, status] of cases) {
      const { task, errors } = await read(harness, id);
      expect(task, id).toMatchObject({ taskId: id, usage: null, sheets: null });
      expect(errors, id).toHaveLength(2);
      for (const error of errors) expect(error.extensions, id).toMatchObject(extensions);
      const csv = await fetch(`${harness.base}/exports/usage-detail/${id}.csv`);
      expect(csv.status, id).toBe(status);
      expect(((await csv.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toMatchObject(extensions);
    }
    // A task that failed has no file: null in GraphQL, 409 from the CSV route; nothing fetched.
    const failedBefore = storage.requested.length;
    expect(await read(h, "108")).toEqual({ task: { taskId: "108", usage: null, sheets: null }, errors: [] });
    expect((await fetch(`${h.base}/exports/usage-detail/108.csv`)).status).toBe(409);
    expect(storage.requested.length).toBe(failedBefore);
  });

  it("a file whose compressed data is damaged is EXPORT_FORMAT_UNRECOGNIZED at once, not at the parse deadline", async () => {
    // The deadline (EXPORT_FETCH_TIMEOUT_MS, 120 s) is far past the test's timeout.
    const { task, errors } = await read(h, "109");
    expect(task).toMatchObject({ taskId: "109", usage: null, sheets: null });
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      expect(error.extensions).toMatchObject({ code: "EXPORT_FORMAT_UNRECOGNIZED", headers: [] });
      expect(error.message).toContain("the workbook could not be read (xl/worksheets/sheet1.xml: ");
    }
    expect((await fetch(`${h.base}/exports/usage-detail/109.csv`)).status).toBe(422);
  });
});
