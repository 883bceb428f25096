/**
 * A user-usage DownloadUrl serves a real PDF report (the upstream's CreateUserUsageDataExportTask
 * exports "to a PDF file"): poppler's pdfinfo and pdftotext read it, and its daily lines hold the
 * account-wide series summed independently here.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { hashName, usageAt } from "../../src/emulator/usage-series.js";
import { manualClock } from "./clock.js";
import { callV3 } from "./signed-call.js";

const run = promisify(execFile);
const clock = manualClock(Date.UTC(2025, 5, 15, 12, 0, 0));
let emulator: RunningEmulator;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ now: clock.now, historySize: 0, taskSeconds: 0 });
  dir = await mkdtemp(join(tmpdir(), "emulator-pdf-"));
});
afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function userUsageTask(params: Record<string, string>): Promise<{ taskId: string; url: string }> {
  const created = await callV3(emulator, "CreateUserUsageDataExportTask", params, { time: clock.now() });
  expect(created.status).toBe(200);
  const listed = await callV3(emulator, "DescribeUserUsageDataExportTask", { PageSize: "1" }, { time: clock.now() });
  const item = (listed.body as { UsageDataPerPage: { Data: { DataItem: { TaskId: string; DownloadUrl?: string }[] } } }).UsageDataPerPage.Data.DataItem[0]!;
  expect(item.TaskId).toBe(created.body.TaskId);
  return { taskId: item.TaskId, url: item.DownloadUrl! };
}

describe("user-usage reports", () => {
  it("are PDFs that poppler reads, one line per UTC day", async () => {
    const { taskId, url } = await userUsageTask({ StartTime: "2025-06-01T00:00:00Z", EndTime: "2025-06-03T00:00:00Z", Language: "en-us", TaskName: "June" });
    expect(url).toMatch(/\/downloads\/[0-9a-f]{32}\.pdf$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="user_usage-${taskId}.pdf"`);
    const file = join(dir, `${taskId}.pdf`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    await writeFile(file, bytes);

    const info = (await run("/usr/bin/pdfinfo", [file])).stdout;
    expect(info).toMatch(/^Pages:\s+1$/m);
    expect(info).toMatch(new RegExp(`^Title:\\s+CDN resource usage ${taskId}$`, "m"));

    const text = (await run("/usr/bin/pdftotext", ["-layout", file, "-"])).stdout;
    expect(text).toContain("CDN resource usage history");
    expect(text).toContain(`Task ${taskId} (June)`);
    expect(text).toContain("Period (UTC): 2025-06-01T00:00:00Z to 2025-06-03T00:00:00Z");
    const seed = hashName(`${taskId}/(account)`);
    for (const [index, day] of ["2025-06-01", "2025-06-02"].entries()) {
      let traffic = 0;
      let peak = 0;
      let requests = 0;
      for (let slot = 0; slot < 288; slot++) {
        const usage = usageAt(seed, Date.UTC(2025, 5, 1 + index) + slot * 300_000);
        traffic += usage.trafficBytes;
        peak = Math.max(peak, usage.bandwidthBps);
        requests += usage.requests;
      }
      const line = text.split("\n").find((l) => l.startsWith(day));
      expect(line?.split(/\s+/)).toEqual([day, (traffic / 1024 ** 3).toFixed(3), "GB", (peak / 1e6).toFixed(3), "Mbps", String(requests)]);
    }
  });

  it("answer 404 when a report's token is asked for as a workbook", async () => {
    const { url } = await userUsageTask({ StartTime: "2025-06-01T00:00:00Z", EndTime: "2025-06-01T01:00:00Z" });
    const response = await fetch(url.replace(/\.pdf$/, ".xlsx"));
    expect(response.status).toBe(404);
    expect(((await response.json()) as { Code: string }).Code).toBe("NoSuchKey");
  });

  it("run onto more pages for a 31-day range", async () => {
    const { taskId, url } = await userUsageTask({ StartTime: "2025-05-01T00:00:00Z", EndTime: "2025-06-01T00:00:00Z" });
    const file = join(dir, `${taskId}.pdf`);
    await writeFile(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
    const text = (await run("/usr/bin/pdftotext", ["-layout", file, "-"])).stdout;
    expect(text.split("\n").filter((line) => /^2025-05-\d\d\s/.test(line))).toHaveLength(31);
    expect((await run("/usr/bin/pdfinfo", [file])).stdout).toMatch(/^Pages:\s+[12]$/m);
  });
});
