/**
 * How a usage-detail workbook names its columns. Alibaba does not publish the file's layout,
 * so this is a table, not code: what the console's own exports and the API's parameters say
 * (the Language parameter's zh-cn / en-us; `flow` = traffic and bandwidth, `vas` = requests;
 * units inside the header as in "流量(Byte)" or "Bandwidth (bps)"). A real file that names a
 * column or unit differently needs one more entry here.
 *
 * Header cells are compared after normalising: Unicode NFKC (full-width "（）" become "()"),
 * lower case, single spaces. A unit is the text in the last (…) or […] of the cell.
 */

export type Measure = "traffic" | "bandwidth" | "requests";
export type UsageColumn = "time" | "domain" | Measure;
export const MEASURES: readonly Measure[] = ["traffic", "bandwidth", "requests"];

/** Column names, both languages, normalised (see above). */
export const HEADER_NAMES: Readonly<Record<UsageColumn, readonly string[]>> = {
  time: ["时间", "时间点", "统计时间", "日期时间", "time", "timestamp", "date time", "datetime"],
  domain: ["域名", "加速域名", "domain", "domain name", "domainname"],
  traffic: ["流量", "下行流量", "traffic", "flow", "traffic volume"],
  bandwidth: ["带宽", "下行带宽", "bandwidth", "peak bandwidth"],
  requests: ["请求数", "请求次数", "访问次数", "requests", "request count", "requests count", "hits"],
};

/**
 * Units per measure, as multipliers to bytes, bits per second and counts; "" is a header with
 * no unit. Traffic counts in binary multiples, as Alibaba Cloud bills CDN traffic
 * (1 GB = 1024 MB); bandwidth in decimal ones, as network rates are counted (1 Mbps = 1000 Kbps).
 * Both are inferences from the billing documents, not from a published file.
 */
export const UNIT_FACTORS: Readonly<Record<Measure, Readonly<Record<string, number>>>> = {
  traffic: { "": 1, byte: 1, bytes: 1, b: 1, 字节: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 },
  bandwidth: { "": 1, bps: 1, "bit/s": 1, kbps: 1e3, mbps: 1e6, gbps: 1e9, tbps: 1e12 },
  requests: { "": 1, 次: 1, count: 1, times: 1 },
};

/** Labels of a totals row under the data: such a row is no 5-minute slot and is skipped. */
export const SUMMARY_ROW_LABELS: readonly string[] = ["合计", "总计", "小计", "total", "sum", "grand total"];

/** Header rows are looked for this far down a sheet (a title, notes and blank rows may come first). */
export const HEADER_SCAN_ROWS = 30;

export interface MeasureColumn {
  /** 0-based cell index in the row. */
  index: number;
  /** Multiplier to bytes / bps / count. */
  factor: number;
}

export interface HeaderLayout {
  time: number;
  domain: number;
  traffic: MeasureColumn | null;
  bandwidth: MeasureColumn | null;
  requests: MeasureColumn | null;
}

export type HeaderMatch = { ok: true; layout: HeaderLayout } | { ok: false; problem: string } | null;

const NAME_TO_COLUMN = new Map<string, UsageColumn>();
for (const [column, names] of Object.entries(HEADER_NAMES) as [UsageColumn, readonly string[]][]) {
  for (const name of names) NAME_TO_COLUMN.set(normalizeHeader(name), column);
}
const SUMMARY_LABELS = new Set(SUMMARY_ROW_LABELS.map(normalizeHeader));

export function normalizeHeader(text: string): string {
  return text.normalize("NFKC").trim().toLowerCase().replace(/\s+/g, " ");
}

const WITH_UNIT = /^(.*?)\s*[([]\s*([^()[\]]*?)\s*[)\]]$/;

/** The column and unit a header cell names, or null when the table does not know its name. */
export function readHeaderCell(text: string): { column: UsageColumn; unit: string } | null {
  const normal = normalizeHeader(text);
  const direct = NAME_TO_COLUMN.get(normal);
  if (direct !== undefined) return { column: direct, unit: "" };
  const parts = WITH_UNIT.exec(normal);
  if (!parts) return null;
  const column = NAME_TO_COLUMN.get(parts[1] ?? "");
  return column === undefined ? null : { column, unit: parts[2] ?? "" };
}

/**
 * The layout a row describes when it is the header row: a time, a domain and at least one
 * measure column with a known unit. null when the row is not a header row at all; a problem
 * when it is one but cannot be read (an unknown unit, a column named twice).
 */
export function matchHeaderRow(cells: readonly string[]): HeaderMatch {
  const seen = new Map<UsageColumn, { index: number; unit: string }>();
  for (const [index, text] of cells.entries()) {
    const cell = readHeaderCell(text);
    if (cell === null) continue;
    if (seen.has(cell.column)) return { ok: false, problem: `column ${cell.column} is named twice` };
    seen.set(cell.column, { index, unit: cell.unit });
  }
  const time = seen.get("time");
  const domain = seen.get("domain");
  if (time === undefined || domain === undefined || !MEASURES.some((measure) => seen.has(measure))) return null;
  const layout: HeaderLayout = { time: time.index, domain: domain.index, traffic: null, bandwidth: null, requests: null };
  for (const measure of MEASURES) {
    const found = seen.get(measure);
    if (found === undefined) continue;
    const factor = UNIT_FACTORS[measure][found.unit];
    if (factor === undefined) return { ok: false, problem: `unknown ${measure} unit "${found.unit}"` };
    layout[measure] = { index: found.index, factor };
  }
  return { ok: true, layout };
}

export function isSummaryLabel(text: string): boolean {
  return SUMMARY_LABELS.has(normalizeHeader(text));
}
