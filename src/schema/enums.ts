/** Enums of the contract; their internal values are the upstream's words where it has them. */
import { EXPORT_KINDS } from "../upstream/types.js";
import { builder } from "./builder.js";

export const ExportKind = builder.enumType("ExportKind", {
  description: "Family of export task: USAGE_DETAIL = *UsageDetailDataExportTask, USER_USAGE = *UserUsageDataExportTask.",
  values: EXPORT_KINDS,
});

export const ExportTaskStatus = builder.enumType("ExportTaskStatus", {
  description: "Status mapped from the upstream word; UNKNOWN for any word the gateway does not know (see rawStatus).",
  values: ["CREATED", "SUCCESS", "FAILED", "UNKNOWN"] as const,
});

export const UsageType = builder.enumType("UsageType", {
  values: {
    FLOW: { value: "flow", description: "Traffic and bandwidth." },
    VAS: { value: "vas", description: "Request counts." },
  } as const,
});

export const ExportLanguage = builder.enumType("ExportLanguage", {
  values: {
    ZH_CN: { value: "zh-cn" },
    EN_US: { value: "en-us" },
  } as const,
});

export const ExportFileType = builder.enumType("ExportFileType", {
  description: "What the export's file is: XLSX for USAGE_DETAIL, PDF for USER_USAGE.",
  values: {
    XLSX: { description: "An Excel workbook of 5-minute usage (usage-detail exports)." },
    PDF: { description: "A PDF report (user-usage exports)." },
  } as const,
});

export const UsageInterval = builder.enumType("UsageInterval", {
  description: "Bucket size of a usage series: buckets start at `from` rounded down to it in the series' time zone.",
  values: ["FIVE_MINUTES", "HOUR", "DAY"] as const,
});
