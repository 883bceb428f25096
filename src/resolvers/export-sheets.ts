/**
 * `ExportTask.sheets` and `ExportSheet.rows`: the workbook as it is (exports/raw-sheet.ts), for
 * a usage-detail task in SUCCESS; null for any other task. Row cursors are bound to the export's
 * sheets, not to one sheet: `sheets { rows(after: …) }` asks every sheet for the page, and the
 * cursor's offset applies to each (a page of the data sheet, the About sheet's rows past it).
 */
import type { RequestContext } from "../context.js";
import { exportListBinding, windowPageInfo, type ExportWindowArgs } from "../exports/export-window.js";
import { rawRows, type RawSheet } from "../exports/raw-sheet.js";
import type { UpstreamTask } from "../upstream/types.js";
import { parsedExportOf } from "./export-files.js";
import { ExportEdge, pageOf, type Connection } from "./export-usage.js";

/** What `ExportSheet` resolves from: the sheet and the binding of its rows' cursors. */
export interface ExportSheetView {
  sheet: RawSheet;
  binding: string;
}

export interface ExportRowValue {
  cells: (string | null)[];
}

export async function resolveSheets(ctx: RequestContext, task: UpstreamTask): Promise<ExportSheetView[] | null> {
  const parsed = await parsedExportOf(ctx, task);
  if (parsed === null) return null;
  const binding = exportListBinding("sheets.rows", task.kind, task.taskId);
  return parsed.sheets.map((sheet) => ({ sheet, binding }));
}

export function sheetRows(view: ExportSheetView, args: ExportWindowArgs): Connection<ExportRowValue> {
  const window = pageOf(args, view.binding, view.sheet.rowCount);
  const rows = rawRows(view.sheet, window.start, window.end);
  return {
    edges: rows.map((cells, i) => new ExportEdge(window.start + i, view.binding, { cells })),
    pageInfo: windowPageInfo(window),
    totalCount: window.totalCount,
  };
}
