/**
 * The file a successful user-usage task's DownloadUrl serves: a PDF report, as the upstream's
 * CreateUserUsageDataExportTask makes ("export your resource usage history to a PDF file").
 * One line per UTC day of the task's range, account-wide: traffic, peak 5-minute bandwidth and
 * requests, from the same synthetic series as the workbooks (pdfkit, standard fonts).
 */
import type { Writable } from "node:stream";
import type { EmulatedTask } from "./task.js";
import { DAY_MS } from "./time.js";
import { STEP_MS, hashName, usageAt } from "./usage-series.js";
import { slotsOf } from "./xlsx.js";

/** The scope name of an account-wide series (its seed is `<taskId>/(account)`). */
export const ACCOUNT_SCOPE = "(account)";

export interface DailyUsage {
  /** `yyyy-MM-dd`, UTC. */
  day: string;
  trafficBytes: number;
  peakBandwidthBps: number;
  requests: number;
}

/** The report's lines: the task's 5-minute account-wide usage, summed per UTC day. */
export function dailyUsage(task: Pick<EmulatedTask, "taskId" | "startTime" | "endTime">): DailyUsage[] {
  const seed = hashName(`${task.taskId}/${ACCOUNT_SCOPE}`);
  const { start, end } = slotsOf(task);
  const days: DailyUsage[] = [];
  for (let time = start; time < end; time += STEP_MS) {
    const day = new Date(Math.floor(time / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
    let line = days.at(-1);
    if (line?.day !== day) {
      line = { day, trafficBytes: 0, peakBandwidthBps: 0, requests: 0 };
      days.push(line);
    }
    const usage = usageAt(seed, time);
    line.trafficBytes += usage.trafficBytes;
    line.peakBandwidthBps = Math.max(line.peakBandwidthBps, usage.bandwidthBps);
    line.requests += usage.requests;
  }
  return days;
}

/** `traffic GB` with 3 decimals (1 GB = 1024³ bytes), `Mbps` with 3, requests whole. */
export function dailyLine(usage: DailyUsage): string {
  const gb = (usage.trafficBytes / 1024 ** 3).toFixed(3);
  const mbps = (usage.peakBandwidthBps / 1e6).toFixed(3);
  return `${usage.day}  ${gb.padStart(12)} GB  ${mbps.padStart(12)} Mbps  ${String(usage.requests).padStart(12)}`;
}

/** Writes a user-usage task's PDF report to `stream` (and ends it). */
export async function writeUsageReportPdf(task: EmulatedTask, stream: Writable): Promise<void> {
  // Loaded on the first report, not at start-up (as exceljs is).
  const { default: PDFDocument } = await import("pdfkit");
  const made = new Date(task.readyAt);
  const doc = new PDFDocument({
    size: "A4",
    margin: 50,
    info: {
      Title: `CDN resource usage ${task.taskId}`,
      Author: "cdn-export-gateway emulator",
      Subject: "Synthetic data from the local CDN export API emulator",
      CreationDate: made,
      ModDate: made,
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.once("finish", resolve);
    stream.once("close", resolve);
    stream.once("error", reject);
  });
  doc.pipe(stream);
  doc.font("Helvetica-Bold").fontSize(16).text("CDN resource usage history");
  doc.font("Helvetica").fontSize(10).moveDown(0.5);
  doc.text(`Task ${task.taskId}${task.name === undefined ? "" : ` (${task.name.replace(/[^\x20-\x7e]/g, "?")})`}`);
  doc.text(`Period (UTC): ${task.startTime} to ${task.endTime}`);
  doc.text(`Language: ${task.language}`);
  doc.moveDown();
  doc.font("Courier-Bold").fontSize(9).text(`Day (UTC)   ${"Traffic".padStart(15)}  ${"Peak bandwidth".padStart(17)}  ${"Requests".padStart(12)}`);
  doc.font("Courier");
  for (const line of dailyUsage(task)) doc.text(dailyLine(line));
  doc.moveDown();
  doc.font("Helvetica").fontSize(8).text("Synthetic data from the local CDN export API emulator.");
  doc.end();
  await done;
}
