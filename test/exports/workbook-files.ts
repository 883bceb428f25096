/**
 * Test helper: usage-detail workbooks written by the emulator's own writer to temp files, and
 * the values they hold computed independently, straight from the emulator's synthetic series
 * (no reading of the file, no gateway code).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type { EmulatedTask } from "../../src/emulator/task.js";
import { hashName, usageAt } from "../../src/emulator/usage-series.js";
import { DEFAULT_WORKBOOK_SHAPE, type WorkbookShape } from "../../src/emulator/workbook-shape.js";
import { writeExportWorkbook } from "../../src/emulator/xlsx.js";

export const SLOT_MS = 300_000;

export function usageTask(fields: Partial<EmulatedTask> = {}): EmulatedTask {
  return {
    kind: "USAGE_DETAIL",
    taskId: "777",
    name: undefined,
    createdAt: 0,
    readyAt: 0,
    outcome: "success",
    startTime: "2025-06-01T00:00:00Z",
    endTime: "2025-06-02T00:00:00Z",
    usageType: "flow",
    domains: ["a.example.com", "b.example.com", "c.example.com"],
    language: "zh-cn",
    downloadToken: "x",
    ...fields,
  };
}

export interface TempFiles {
  dir: string;
  /** Writes the task's workbook in `shape` and returns its path. */
  workbook(task: EmulatedTask, shape?: Partial<WorkbookShape>, name?: string): Promise<string>;
  remove(): Promise<void>;
}

export async function tempFiles(): Promise<TempFiles> {
  const dir = await mkdtemp(join(tmpdir(), "exports-test-"));
  let n = 0;
  return {
    dir,
    async workbook(task, shape = {}, name = `w${n++}.xlsx`) {
      const path = join(dir, name);
      const out = createWriteStream(path);
      await writeExportWorkbook(task, out, { ...DEFAULT_WORKBOOK_SHAPE, ...shape });
      if (!out.writableFinished) await finished(out);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Slot {
  time: number;
  domain: string;
  trafficBytes: number;
  bandwidthBps: number;
  requests: number;
}

/** Every (slot, domain) the task's file holds, from the synthetic series itself. */
export function expectedSlots(task: EmulatedTask): Slot[] {
  const start = Math.ceil(Date.parse(task.startTime) / SLOT_MS) * SLOT_MS;
  const end = Date.parse(task.endTime);
  const out: Slot[] = [];
  for (let time = start; time < end; time += SLOT_MS) {
    for (const domain of task.domains) out.push({ time, domain, ...usageAt(hashName(`${task.taskId}/${domain}`), time) });
  }
  return out;
}

/** `yyyy-MM-dd HH:mm` of an instant on a zone's wall clock, by the platform's formatter. */
export function wallText(ms: number, timeZone: string): string {
  return new Date(ms).toLocaleString("sv-SE", { timeZone, hour12: false }).slice(0, 16);
}

/**
 * The workbook with 64 bytes of an entry's deflate data garbled ~200 bytes past its local
 * header, its central directory intact: the damage a bad transfer or disk leaves.
 */
export function withDamagedEntry(file: Buffer, entryPath: string): Buffer {
  const damaged = Buffer.from(file);
  const header = damaged.indexOf(entryPath);
  // The local header's name comes first, the directory's copy of it last.
  if (header < 0 || header === damaged.lastIndexOf(entryPath)) throw new Error(`${entryPath} has no local header`);
  for (let i = header + 200; i < header + 264; i++) damaged[i] = damaged[i]! ^ 0x5a;
  return damaged;
}
