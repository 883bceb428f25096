/** The printed summary: one row per case (a Markdown table, so it can go into the README as is). */
import type { CaseResult } from "./results.js";

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

export function formatTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.error === undefined ? r.summary : `error: ${r.error.split("\n")[0] ?? ""}`,
    r.ratio === null ? "—" : r.ratio.toFixed(2),
    r.target,
    r.pass ? "pass" : "FAIL",
  ]);
  const header = ["Case", "Measured", "Ratio", "Target", "Result"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => cell(row[i] ?? "").length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => cell(c).padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
