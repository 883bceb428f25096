/** `ExportRow`, one row of a sheet as it is, and its connection (`ExportRowConnection`). */
import type { ExportRowValue } from "../resolvers/export-sheets.js";
import { builder } from "./builder.js";

export const ExportRow = builder.objectRef<ExportRowValue>("ExportRow").implement({
  description: "One row of a sheet as the file has it: a cell's text, or null for an empty cell; as wide as the sheet's widest row.",
  fields: (t) => ({
    cells: t.stringList({ nullable: { list: false, items: true }, resolve: (row) => row.cells }),
  }),
});

export const ExportRowConnection = builder.connectionObject(
  {
    type: ExportRow,
    name: "ExportRowConnection",
    fields: (c) => ({ totalCount: c.int({ description: "Rows of the sheet.", resolve: (connection) => (typeof connection.totalCount === "function" ? connection.totalCount() : connection.totalCount) }) }),
  },
  { name: "ExportRowEdge" },
);
