/**
 * What a finished export holds, on `ExportTask` (design.md "Export contents"): the file's type,
 * its usage as a chart-ready series, and its sheets as they are. `usage` and `sheets` are read
 * from the file (once per export, then kept) for USAGE_DETAIL tasks in SUCCESS, and are null for
 * any other task. Scopes: ExportTask's own (export:read), checked on the type.
 */
import { FILE_TYPES } from "../resolvers/export-files.js";
import { resolveSheets } from "../resolvers/export-sheets.js";
import { resolveUsage } from "../resolvers/export-usage.js";
import { builder } from "./builder.js";
import { ExportFileType, UsageInterval } from "./enums.js";
import { ExportSheet } from "./export-sheet.js";
import { ExportTask } from "./export-task.js";
import "./scalars.js";
import { UsageSeries } from "./usage-series.js";

builder.objectFields(ExportTask, (t) => ({
  fileType: t.field({ type: ExportFileType, description: "XLSX for USAGE_DETAIL, PDF for USER_USAGE.", resolve: (task) => FILE_TYPES[task.kind] }),
  usage: t.field({
    type: UsageSeries,
    nullable: true,
    description:
      "The usage in the export's file as a series (USAGE_DETAIL tasks in SUCCESS only; null for any other task). " +
      "domain: one domain of the file (else all, summed per slot; an unknown one is refused). from/to: slots at or after from, " +
      "before to. timeZone: an IANA zone; buckets start at from rounded down to the interval in it.",
    args: {
      domain: t.arg.string(),
      from: t.arg({ type: "DateTime" }),
      to: t.arg({ type: "DateTime" }),
      interval: t.arg({ type: UsageInterval, defaultValue: "FIVE_MINUTES" }),
      timeZone: t.arg.string({ defaultValue: "UTC" }),
    },
    resolve: (task, args, ctx) => resolveUsage(ctx, task, args),
  }),
  sheets: t.field({
    type: [ExportSheet],
    nullable: true,
    description: "The workbook as it is, whatever its layout (USAGE_DETAIL tasks in SUCCESS only; null for any other task).",
    resolve: (task, _args, ctx) => resolveSheets(ctx, task),
  }),
}));
