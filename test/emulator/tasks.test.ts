/** Task lifecycle, listing order and paging, the three-month window, and the synthetic history. */
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { manualClock } from "./clock.js";
import { callV3, hoursRange } from "./signed-call.js";

const DESCRIBE_DETAIL = "DescribeUserUsageDetailDataExportTask";
const DESCRIBE_USER = "DescribeUserUsageDataExportTask";
const DAY = 86_400_000;

interface Item {
  TaskId: string;
  TaskName?: string;
  Status: string;
  CreateTime: string;
  UpdateTime: string;
  DownloadUrl?: string;
  TaskConfig: { StartTime: string; EndTime: string };
}
interface Page {
  PageNumber: number;
  PageSize: number;
  TotalCount: number;
  Data: { DataItem: Item[] };
}

const running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

async function start(options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> {
  const emulator = await startEmulator({ quotaPerSecond: 1_000_000, ...options });
  running.push(emulator);
  return emulator;
}

async function page(emulator: RunningEmulator, time: number, action: string, pageNumber = 1, pageSize = 50): Promise<Page> {
  const result = await callV3(emulator, action, { PageNumber: String(pageNumber), PageSize: String(pageSize) }, { time });
  expect(result.status).toBe(200);
  return (result.body as { UsageDataPerPage: Page }).UsageDataPerPage;
}

async function allItems(emulator: RunningEmulator, time: number, action: string): Promise<Item[]> {
  const first = await page(emulator, time, action);
  const items = [...first.Data.DataItem];
  for (let n = 2; (n - 1) * 50 < first.TotalCount; n++) items.push(...(await page(emulator, time, action, n)).Data.DataItem);
  return items;
}

describe("task lifecycle", () => {
  it("is created, then success after taskSeconds with a DownloadUrl; then deleted", async () => {
    const clock = manualClock();
    const emulator = await start({ now: clock.now, historySize: 0, taskSeconds: 5 });
    const range = hoursRange(clock.now(), 3);
    const created = await callV3(emulator, "CreateUsageDetailDataExportTask", { Type: "flow", TaskName: "lifecycle", ...range }, { time: clock.now() });
    const taskId = String(created.body.TaskId);

    const fresh = (await page(emulator, clock.now(), DESCRIBE_DETAIL)).Data.DataItem[0]!;
    expect(fresh).toEqual({
      TaskId: taskId,
      TaskName: "lifecycle",
      Status: "created",
      CreateTime: "2025-06-15T12:00:00Z",
      UpdateTime: "2025-06-15T12:00:00Z",
      TaskConfig: range,
    });

    clock.advance(4_999);
    expect((await page(emulator, clock.now(), DESCRIBE_DETAIL)).Data.DataItem[0]!.Status).toBe("created");
    clock.advance(1);
    const done = (await page(emulator, clock.now(), DESCRIBE_DETAIL)).Data.DataItem[0]!;
    expect(done.Status).toBe("success");
    expect(done.UpdateTime).toBe("2025-06-15T12:00:05Z");
    expect(done.DownloadUrl).toMatch(new RegExp(`^${emulator.url}/downloads/[0-9a-f]{32}\\.xlsx$`));

    const deleted = await callV3(emulator, "DeleteUsageDetailDataExportTask", { TaskId: taskId }, { time: clock.now() });
    expect(deleted.status).toBe(200);
    expect((await page(emulator, clock.now(), DESCRIBE_DETAIL)).TotalCount).toBe(0);
    expect((await fetch(done.DownloadUrl!)).status).toBe(404);
  });

  it("lists newest first across pages, each page a slice, and hides tasks older than three months", async () => {
    const clock = manualClock();
    const emulator = await start({ now: clock.now, historySize: 0, taskSeconds: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const result = await callV3(emulator, "CreateUserUsageDataExportTask", hoursRange(clock.now(), 1), { time: clock.now() });
      ids.push(String(result.body.TaskId));
      clock.advance(10 * DAY);
    }
    // Now 70 days after the first: all visible, newest first.
    const first = await page(emulator, clock.now(), DESCRIBE_USER, 1, 3);
    const second = await page(emulator, clock.now(), DESCRIBE_USER, 2, 3);
    const third = await page(emulator, clock.now(), DESCRIBE_USER, 3, 3);
    expect(first.TotalCount).toBe(7);
    expect([...first.Data.DataItem, ...second.Data.DataItem, ...third.Data.DataItem].map((t) => t.TaskId)).toEqual([...ids].reverse());
    expect(third.Data.DataItem).toHaveLength(1);
    expect((await page(emulator, clock.now(), DESCRIBE_USER, 4, 3)).Data.DataItem).toEqual([]);

    clock.advance(35 * DAY); // day 105: the tasks of days 0 and 10 are more than 90 days old
    const later = await page(emulator, clock.now(), DESCRIBE_USER);
    expect(later.TotalCount).toBe(5);
    expect(later.Data.DataItem.map((t) => t.TaskId)).toEqual(ids.slice(2).reverse());
  });
});

describe("synthetic history", () => {
  it("has 300 usage-detail and 120 user-usage tasks by default, mostly success, some failed, a few created", async () => {
    const clock = manualClock();
    const emulator = await start({ now: clock.now });
    const detail = await allItems(emulator, clock.now(), DESCRIBE_DETAIL);
    const user = await allItems(emulator, clock.now(), DESCRIBE_USER);
    expect(detail).toHaveLength(300);
    expect(user).toHaveLength(120);
    for (const items of [detail, user]) {
      const count = (status: string) => items.filter((t) => t.Status === status).length;
      expect(count("created")).toBe(3);
      expect(count("failed")).toBeGreaterThan(0);
      expect(count("success")).toBeGreaterThan(items.length * 0.8);
      expect(new Set(items.map((t) => t.TaskId)).size).toBe(items.length);
      const created = items.map((t) => Date.parse(t.CreateTime));
      expect(created).toEqual([...created].sort((a, b) => b - a));
      expect(Math.min(...created)).toBeGreaterThan(clock.now() - 90 * DAY);
      for (const item of items) {
        expect(item.DownloadUrl !== undefined).toBe(item.Status === "success");
        const start = Date.parse(item.TaskConfig.StartTime);
        const end = Date.parse(item.TaskConfig.EndTime);
        expect(end).toBeGreaterThan(start);
        expect(end - start).toBeLessThanOrEqual(31 * DAY);
      }
    }
  });

  it("is deterministic: same seed and clock, same tasks", async () => {
    const clock = manualClock();
    const strip = (items: Item[]) => items.map(({ DownloadUrl: _url, ...rest }) => rest);
    const a = await start({ now: clock.now, historySize: { USAGE_DETAIL: 40, USER_USAGE: 10 } });
    const b = await start({ now: clock.now, historySize: { USAGE_DETAIL: 40, USER_USAGE: 10 } });
    const c = await start({ now: clock.now, historySize: { USAGE_DETAIL: 40, USER_USAGE: 10 }, seed: 7 });
    const itemsA = strip(await allItems(a, clock.now(), DESCRIBE_DETAIL));
    expect(itemsA).toHaveLength(40);
    expect(strip(await allItems(b, clock.now(), DESCRIBE_DETAIL))).toEqual(itemsA);
    expect(strip(await allItems(c, clock.now(), DESCRIBE_DETAIL))).not.toEqual(itemsA);
    expect((await page(a, clock.now(), DESCRIBE_USER)).TotalCount).toBe(10);
  });

  it("takes one number for both kinds", async () => {
    const clock = manualClock();
    const emulator = await start({ now: clock.now, historySize: 5 });
    expect((await page(emulator, clock.now(), DESCRIBE_DETAIL)).TotalCount).toBe(5);
    expect((await page(emulator, clock.now(), DESCRIBE_USER)).TotalCount).toBe(5);
  });
});
