/**
 * The workbook a successful usage-detail task's DownloadUrl serves: a real .xlsx (exceljs) with
 * 5-minute rows over the task's range, one per domain (`flow`: traffic and bandwidth; `vas`:
 * request counts), plus an About sheet. Its layout follows a WorkbookShape (workbook-shape.ts);
 * the default is the plain one (header in row 1, UTC times, bytes and bps). Ranges past
 * `shape.maxRows` rows are cut, and the About sheet says so. User-usage tasks are PDF reports
 * (pdf.ts), not workbooks.
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { EmulatedTask } from "./task.js";
import { parseIsoSeconds } from "./time.js";
import { STEP_MS, hashName, usageAt } from "./usage-series.js";
import {
  BANDWIDTH_UNIT_BPS,
  DEFAULT_WORKBOOK_SHAPE,
  TRAFFIC_UNIT_BYTES,
  headerText,
  reportTitle,
  sheetNames,
  timeCell,
  type Column,
  type WorkbookShape,
} from "./workbook-shape.js";

export { MAX_ROWS } from "./workbook-shape.js";

type Cell = string | number;

/**
 * exceljs's writers never push back: rows pile up in memory unless the zip gets turns to
 * compress them and the client reads them. Every this many rows the writer lets it catch up.
 */
const ROWS_PER_TURN = 2000;

/** What a sheet needs from either exceljs writer. */
interface SheetSink {
  addRow(cells: Cell[]): void;
  close(): void;
}

function columnsOf(task: EmulatedTask): Column[] {
  return task.usageType === "vas" ? ["time", "domain", "requests"] : ["time", "domain", "traffic", "bandwidth"];
}

/** The 5-minute slots of the task's range: from the first slot boundary at or after StartTime. */
export function slotsOf(task: Pick<EmulatedTask, "startTime" | "endTime">): { start: number; end: number } {
  const start = Math.ceil((parseIsoSeconds(task.startTime) ?? 0) / STEP_MS) * STEP_MS;
  return { start, end: parseIsoSeconds(task.endTime) ?? start };
}

/** Writes a usage-detail task's workbook to `stream` (and ends it). */
export async function writeExportWorkbook(task: EmulatedTask, stream: Writable, shape: WorkbookShape = DEFAULT_WORKBOOK_SHAPE): Promise<void> {
  if (task.kind !== "USAGE_DETAIL") throw new Error(`writeExportWorkbook: ${task.kind} exports are PDF reports`);
  // Loaded on the first download, not at start-up: exceljs is the heaviest module the process
  // would load (bench case 7, start-up), and most runs never serve a file.
  const { default: ExcelJS } = await import("exceljs");
  const names = sheetNames(task.language);
  let data: SheetSink;
  let about: () => SheetSink;
  let finish: () => Promise<void>;
  if (shape.writer === "streaming") {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: false, useSharedStrings: shape.sharedStrings });
    workbook.creator = "cdn-export-gateway emulator";
    const streamed = (name: string): SheetSink => {
      const sheet = workbook.addWorksheet(name);
      // The streaming sheet has no addRows: one committed row at a time.
      return { addRow: (cells) => sheet.addRow(cells).commit(), close: () => sheet.commit() };
    };
    data = streamed(names.data);
    about = () => streamed(names.about);
    finish = () => workbook.commit();
  } else {
    const workbook = new ExcelJS.Workbook();
    workbook.creator = "cdn-export-gateway emulator";
    const held = (name: string): SheetSink => {
      const sheet = workbook.addWorksheet(name);
      return { addRow: (cells) => void sheet.addRow(cells), close: () => undefined };
    };
    data = held(names.data);
    about = () => held(names.about);
    finish = async () => {
      await workbook.xlsx.write(stream, { useStyles: false, useSharedStrings: shape.sharedStrings });
      stream.end();
    };
  }

  const columns = columnsOf(task);
  const { start, end } = slotsOf(task);
  if (shape.titleRows) {
    data.addRow([`${reportTitle(task.language)} (${task.usageType ?? "flow"}) ${task.startTime} – ${task.endTime}`]);
    data.addRow([]);
  }
  data.addRow(columns.map((column) => headerText(column, task.language, shape)));
  const bytesPerUnit = TRAFFIC_UNIT_BYTES[shape.trafficUnit];
  const bpsPerUnit = BANDWIDTH_UNIT_BPS[shape.bandwidthUnit];
  const seeds = task.domains.map((domain) => hashName(`${task.taskId}/${domain}`));
  let rows = 0;
  let truncated = false;
  outer: for (let time = start; time < end; time += STEP_MS) {
    const when = timeCell(time, shape);
    for (let i = 0; i < task.domains.length; i++) {
      if (rows === shape.maxRows) {
        truncated = true;
        break outer;
      }
      const usage = usageAt(seeds[i] ?? 0, time);
      const values: Record<Column, Cell> = {
        time: when,
        domain: task.domains[i] ?? "",
        traffic: usage.trafficBytes / bytesPerUnit,
        bandwidth: usage.bandwidthBps / bpsPerUnit,
        requests: usage.requests,
      };
      data.addRow(columns.map((column) => values[column]));
      rows += 1;
      if (rows % ROWS_PER_TURN === 0) await catchUp(stream);
    }
  }
  data.close();

  const notes = about();
  for (const note of [
    ["TaskId", task.taskId],
    ["StartTime", task.startTime],
    ["EndTime", task.endTime],
    ["Type", task.usageType ?? "flow"],
    ["Domains", task.domains.join(",")],
    ["Rows", rows],
    ["Truncated", truncated ? `yes: the first ${shape.maxRows} rows` : "no"],
    ["Source", "Synthetic data from the local CDN export API emulator"],
  ]) {
    notes.addRow(note);
  }
  notes.close();
  await finish();
}

async function catchUp(stream: Writable): Promise<void> {
  if (stream.writableNeedDrain) await once(stream, "drain");
  else await nextTurn();
}
