/** `ExportSheet`: a sheet of an export's workbook as it is, whatever its layout. */
import { MAX_EXPORT_PAGE } from "../exports/export-window.js";
import { sheetRows, type ExportSheetView } from "../resolvers/export-sheets.js";
import { builder } from "./builder.js";
import { ExportRowConnection } from "./export-row.js";

export const ExportSheet = builder.objectRef<ExportSheetView>("ExportSheet").implement({
  description:
    "A sheet of the workbook. headers is the header row the gateway recognises (rows above it, such as a title, are not rows), " +
    "or the sheet's first non-empty row when it has none; rows are the rows below it.",
  fields: (t) => ({
    name: t.string({ resolve: (v) => v.sheet.name }),
    headers: t.stringList({ resolve: (v) => [...v.sheet.headers] }),
    rowCount: t.int({ resolve: (v) => v.sheet.rowCount }),
    rows: t.field({
      type: ExportRowConnection,
      description: `Rows in file order. first at most ${MAX_EXPORT_PAGE} (default ${MAX_EXPORT_PAGE}).`,
      args: {
        first: t.arg.int({ description: `1–${MAX_EXPORT_PAGE}` }),
        after: t.arg.string({ description: "A cursor of this sheet's rows." }),
      },
      resolve: (v, args) => sheetRows(v, args),
    }),
  }),
});
