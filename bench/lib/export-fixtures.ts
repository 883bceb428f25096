/**
 * What the exports case reads: usage-detail workbooks written by the emulator's own writer once
 * and kept under bench/.cache/exports (the streaming writer takes ~10 s for 892,800 rows; the
 * file name carries a digest of the writer's code, so a changed writer writes them anew), and
 * an "upstream" on loopback that lists tasks pointing at them and serves the files, counting
 * each download. It answers Describe calls without checking signatures: the case measures
 * reading files, not the API.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rename, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type { EmulatedTask } from "../../src/emulator/task.js";
import { DEFAULT_WORKBOOK_SHAPE } from "../../src/emulator/workbook-shape.js";
import { writeExportWorkbook } from "../../src/emulator/xlsx.js";
import { REPO_ROOT } from "./gateway.js";

const CACHE_DIR = join(REPO_ROOT, "bench", ".cache", "exports");
const WRITER_SOURCES = ["src/emulator/xlsx.ts", "src/emulator/workbook-shape.ts", "src/emulator/usage-series.ts"];
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 9, 1);

export interface BenchWorkbook {
  path: string;
  bytes: number;
  days: number;
  domains: number;
  /** Data rows: 288 a day per domain. */
  rows: number;
  startTime: string;
  endTime: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The workbook of `days` days × `domains` domains, written once and kept. */
export async function benchWorkbook(days: number, domains: number, log: (message: string) => void): Promise<BenchWorkbook> {
  const digest = createHash("sha256");
  for (const source of WRITER_SOURCES) digest.update(await readFile(join(REPO_ROOT, source)));
  const path = join(CACHE_DIR, `usage-${days}d-${domains}domains-${digest.digest("hex").slice(0, 12)}.xlsx`);
  const startTime = iso(START_MS);
  const endTime = iso(START_MS + days * DAY_MS);
  if (!existsSync(path)) {
    await mkdir(CACHE_DIR, { recursive: true });
    const startedAt = performance.now();
    const task: EmulatedTask = {
      kind: "USAGE_DETAIL",
      taskId: `bench-${days}x${domains}`,
      name: undefined,
      createdAt: 0,
      readyAt: 0,
      outcome: "success",
      startTime,
      endTime,
      usageType: "flow",
      domains: Array.from({ length: domains }, (_, i) => `d${String(i).padStart(3, "0")}.example.com`),
      language: "zh-cn",
      downloadToken: "bench",
    };
    const partial = `${path}.${process.pid}.partial`;
    const out = createWriteStream(partial);
    await writeExportWorkbook(task, out, DEFAULT_WORKBOOK_SHAPE);
    if (!out.writableFinished) await finished(out);
    await rename(partial, path);
    log(`wrote ${path} in ${Math.round(performance.now() - startedAt)} ms (kept for later runs)`);
  }
  return { path, bytes: (await stat(path)).size, days, domains, rows: days * 288 * domains, startTime, endTime };
}

export interface ListedExport {
  taskId: string;
  workbook: BenchWorkbook;
}

export interface ExportUpstream {
  /** API and files on one origin: gateways allow it with CDN_DOWNLOAD_ORIGINS. */
  readonly origin: string;
  /** Downloads served per task. */
  downloads(taskId: string): number;
  close(): Promise<void>;
}

export async function startExportUpstream(exports: readonly ListedExport[]): Promise<ExportUpstream> {
  const served = new Map<string, number>();
  const byTask = new Map(exports.map((listed) => [listed.taskId, listed]));
  let origin = "";
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "/";
    const file = /^\/files\/([^/?]+)\.xlsx/.exec(url);
    if (file !== null) {
      const listed = byTask.get(file[1] ?? "");
      if (listed === undefined) return void res.writeHead(404).end();
      served.set(listed.taskId, (served.get(listed.taskId) ?? 0) + 1);
      res.writeHead(200, { "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "content-length": listed.workbook.bytes });
      createReadStream(listed.workbook.path).pipe(res);
      return;
    }
    req.resume();
    const action = req.headers["x-acs-action"];
    const items = action === "DescribeUserUsageDetailDataExportTask" ? exports : [];
    const body = {
      RequestId: `bench-${Date.now()}`,
      UsageDataPerPage: {
        PageNumber: Number(/[?&]PageNumber=(\d+)/.exec(url)?.[1] ?? 1),
        PageSize: Number(/[?&]PageSize=(\d+)/.exec(url)?.[1] ?? 50),
        TotalCount: items.length,
        Data: {
          DataItem: items.map((listed) => ({
            TaskId: listed.taskId,
            TaskName: `bench ${listed.taskId}`,
            Status: "success",
            CreateTime: "2026-11-01T00:00:00Z",
            UpdateTime: "2026-11-01T00:10:00Z",
            DownloadUrl: `${origin}/files/${listed.taskId}.xlsx?Expires=1900000000&Signature=bench`,
            TaskConfig: { StartTime: listed.workbook.startTime, EndTime: listed.workbook.endTime },
          })),
        },
      },
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    downloads: (taskId) => served.get(taskId) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
