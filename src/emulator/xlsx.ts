/**
 * The export file a successful task's DownloadUrl serves: a real .xlsx (exceljs) with 5-minute
 * rows over the task's range — per domain for usage details (`flow`: traffic bytes and
 * bandwidth bps; `vas`: request counts), per account for user usage — plus an "About" sheet.
 * Long ranges over many domains are capped at MAX_ROWS rows; the About sheet says so.
 * Written with exceljs's streaming writer (rows go out as they are made; several times faster
 * than building the workbook in memory).
 */
import type { Writable } from "node:stream";
import type { EmulatedTask } from "./task.js";
import { formatIsoSeconds, parseIsoSeconds } from "./time.js";
import { STEP_MS, hashName, usageAt } from "./usage-series.js";

export const MAX_ROWS = 10_000;

type Column = "time" | "domain" | "traffic" | "bandwidth" | "requests";

const TITLES: Record<"zh-cn" | "en-us", Record<Column | "sheet" | "about", string>> = {
  "zh-cn": {
    sheet: "用量明细",
    about: "说明",
    time: "时间",
    domain: "域名",
    traffic: "流量(Byte)",
    bandwidth: "带宽(bps)",
    requests: "请求数",
  },
  "en-us": {
    sheet: "Usage details",
    about: "About",
    time: "Time",
    domain: "Domain",
    traffic: "Traffic (Byte)",
    bandwidth: "Bandwidth (bps)",
    requests: "Requests",
  },
};

function columnsOf(task: EmulatedTask): Column[] {
  if (task.kind === "USER_USAGE") return ["time", "traffic", "bandwidth", "requests"];
  return task.usageType === "vas" ? ["time", "domain", "requests"] : ["time", "domain", "traffic", "bandwidth"];
}

/** Writes the task's export file to `stream` (and ends it). */
export async function writeExportWorkbook(task: EmulatedTask, stream: Writable): Promise<void> {
  const titles = TITLES[task.language];
  const columns = columnsOf(task);
  // Loaded on the first download, not at start-up: exceljs is the heaviest module the process
  // would load (bench case 7, start-up), and most runs never serve a file.
  const { default: ExcelJS } = await import("exceljs");
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: false, useSharedStrings: false });
  workbook.creator = "cdn-export-gateway emulator";
  const sheet = workbook.addWorksheet(titles.sheet);
  sheet.columns = columns.map((column) => ({ header: titles[column], key: column, width: column === "time" ? 22 : 18 }));

  const start = Math.ceil((parseIsoSeconds(task.startTime) ?? 0) / STEP_MS) * STEP_MS;
  const end = parseIsoSeconds(task.endTime) ?? start;
  const scopes = task.kind === "USER_USAGE" ? ["(account)"] : task.domains;
  let rows = 0;
  let truncated = false;
  outer: for (let time = start; time < end; time += STEP_MS) {
    for (const scope of scopes) {
      if (rows === MAX_ROWS) {
        truncated = true;
        break outer;
      }
      const usage = usageAt(hashName(`${task.taskId}/${scope}`), time);
      sheet.addRow({
        time: formatIsoSeconds(time),
        domain: scope,
        traffic: usage.trafficBytes,
        bandwidth: usage.bandwidthBps,
        requests: usage.requests,
      }).commit();
      rows += 1;
    }
  }

  sheet.commit();
  const about = workbook.addWorksheet(titles.about);
  const notes = [
    ["TaskId", task.taskId],
    ["StartTime", task.startTime],
    ["EndTime", task.endTime],
    ["Type", task.usageType ?? "user usage"],
    ["Domains", task.kind === "USER_USAGE" ? "(account)" : task.domains.join(",")],
    ["Rows", rows],
    ["Truncated", truncated ? `yes: the first ${MAX_ROWS} rows` : "no"],
    ["Source", "Synthetic data from the local CDN export API emulator"],
  ];
  // The streaming sheet has no addRows: one committed row at a time.
  for (const note of notes) about.addRow(note).commit();
  about.commit();
  await workbook.commit();
}
