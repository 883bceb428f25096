/**
 * The GraphQL face of export contents over real HTTP, against the embedded emulator's own
 * files: fileType, usage (series, summary, p95, zones, domains, spans) with every expected value
 * computed here from the emulator's synthetic series; points and rows paged with bound cursors;
 * sheets as they are; argument rules; null for tasks without a readable file; one read per export.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashName, usageAt } from "../../src/emulator/usage-series.js";
import { createFinishedExport, daysAgo, DAY_MS, iso, SLOT_MS, type FinishedExport } from "../helpers/finished-export.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

interface Point {
  time: string;
  trafficBytes: number | null;
  bandwidthBps: number | null;
  requests: number | null;
}
interface Edge<T> {
  cursor: string;
  node: T;
}
interface Page<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Edge<T>[];
}
interface Series {
  usageType: string;
  interval: string;
  domains: string[];
  from: string;
  to: string;
  summary: { trafficBytes: number | null; requests: number | null; peakBandwidthBps: number | null; peakAt: string | null; p95BandwidthBps: number | null };
  points: Page<Point>;
}

const SERIES = `query($id: String!, $domain: String, $from: DateTime, $to: DateTime, $interval: UsageInterval, $tz: String, $first: Int, $after: String) {
  task(taskId: $id) { fileType usage(domain: $domain, from: $from, to: $to, interval: $interval, timeZone: $tz) {
    usageType interval domains from to
    summary { trafficBytes requests peakBandwidthBps peakAt p95BandwidthBps }
    points(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { time trafficBytes bandwidthBps requests } } } } } }`;

/** Per 5-minute slot of the export, its values summed over `domains` (computed from the emulator's series). */
function slots(task: FinishedExport, domains: readonly string[]): { time: number; traffic: number; bandwidth: number; requests: number }[] {
  const out = [];
  for (let time = Date.parse(task.startTime); time < Date.parse(task.endTime); time += SLOT_MS) {
    let traffic = 0;
    let bandwidth = 0;
    let requests = 0;
    for (const domain of domains) {
      const usage = usageAt(hashName(`${task.taskId}/${domain}`), time);
      traffic += usage.trafficBytes;
      bandwidth += usage.bandwidthBps;
      requests += usage.requests;
    }
    out.push({ time, traffic, bandwidth, requests });
  }
  return out;
}

describe("export contents over GraphQL", () => {
  let h: ServerHarness;
  let flow: FinishedExport;
  let vas: FinishedExport;
  const start = daysAgo(10);

  async function series(variables: Record<string, unknown>): Promise<{ data: Series | null; errors: { extensions?: Record<string, unknown> }[] | undefined }> {
    const res = await postGraphQL(h.url, SERIES, { variables: { id: flow.taskId, ...variables } });
    return { data: (res.body.data as { task: { usage: Series | null } } | undefined)?.task.usage ?? null, errors: res.body.errors };
  }

  beforeAll(async () => {
    h = await startServerHarness({ env: { CDN_CACHE_TTL_MS: "0" } });
    flow = await createFinishedExport(h.url, { startTime: iso(start), endTime: iso(start + DAY_MS), domainNames: ["b.example.com", "a.example.com", "c.example.com"] });
    vas = await createFinishedExport(h.url, { type: "VAS", startTime: iso(start), endTime: iso(start + 2 * 3_600_000), domainNames: ["a.example.com"] });
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it("hourly points in UTC: sums, the highest 5-minute bandwidth, the summary and p95", async () => {
    const { data, errors } = await series({ interval: "HOUR" });
    expect(errors).toBeUndefined();
    const all = slots(flow, flow.domains);
    expect(data).toMatchObject({ usageType: "FLOW", interval: "HOUR", domains: ["a.example.com", "b.example.com", "c.example.com"], from: flow.startTime, to: flow.endTime });
    expect(data!.points.totalCount).toBe(24);
    for (const [hour, edge] of data!.points.edges.entries()) {
      const inside = all.slice(hour * 12, hour * 12 + 12);
      expect(edge.node).toEqual({
        time: iso(start + hour * 3_600_000),
        trafficBytes: inside.reduce((sum, slot) => sum + slot.traffic, 0),
        bandwidthBps: Math.max(...inside.map((slot) => slot.bandwidth)),
        requests: null, // a FLOW export has no requests column
      });
    }
    const bandwidths = all.map((slot) => slot.bandwidth).sort((a, b) => a - b);
    const peak = Math.max(...bandwidths);
    expect(data!.summary).toEqual({
      trafficBytes: all.reduce((sum, slot) => sum + slot.traffic, 0),
      requests: null,
      peakBandwidthBps: peak,
      peakAt: iso(all.find((slot) => slot.bandwidth === peak)!.time),
      p95BandwidthBps: bandwidths[Math.ceil(0.95 * bandwidths.length) - 1],
    });
  });

  it("days in Asia/Shanghai start at 16:00Z; one domain; a from/to span", async () => {
    const days = await series({ interval: "DAY", tz: "Asia/Shanghai", domain: "B.example.com" });
    const b = slots(flow, ["b.example.com"]);
    const cut = 16 * 12; // 16:00Z is midnight in Shanghai
    expect(days.data!.points.edges.map((e) => e.node)).toEqual([
      { time: iso(start - 8 * 3_600_000), trafficBytes: b.slice(0, cut).reduce((s, x) => s + x.traffic, 0), bandwidthBps: Math.max(...b.slice(0, cut).map((x) => x.bandwidth)), requests: null },
      { time: iso(start + 16 * 3_600_000), trafficBytes: b.slice(cut).reduce((s, x) => s + x.traffic, 0), bandwidthBps: Math.max(...b.slice(cut).map((x) => x.bandwidth)), requests: null },
    ]);
    const span = await series({ from: iso(start + 3_600_000), to: iso(start + 2 * 3_600_000) });
    expect(span.data).toMatchObject({ interval: "FIVE_MINUTES", from: iso(start + 3_600_000), to: iso(start + 2 * 3_600_000) });
    expect(span.data!.points.totalCount).toBe(12);
    expect(span.data!.summary.trafficBytes).toBe(slots(flow, flow.domains).slice(12, 24).reduce((s, x) => s + x.traffic, 0));
  });

  it("vas: requests, no traffic or bandwidth", async () => {
    const res = await postGraphQL(h.url, SERIES, { variables: { id: vas.taskId, interval: "HOUR" } });
    const usage = (res.body.data as { task: { usage: Series } }).task.usage;
    const all = slots(vas, vas.domains);
    expect(usage.usageType).toBe("VAS");
    expect(usage.points.edges.map((e) => e.node.requests)).toEqual([0, 1].map((hour) => all.slice(hour * 12, hour * 12 + 12).reduce((s, x) => s + x.requests, 0)));
    expect(usage.summary).toEqual({ trafficBytes: null, requests: all.reduce((s, x) => s + x.requests, 0), peakBandwidthBps: null, peakAt: null, p95BandwidthBps: null });
  });

  it("points page by first/after with cursors of their own series", async () => {
    const first = await series({ first: 100 });
    expect(first.data!.points).toMatchObject({ totalCount: 288, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    expect(first.data!.points.edges).toHaveLength(100);
    const next = await series({ first: 100, after: first.data!.points.pageInfo.endCursor });
    expect(next.data!.points.edges[0]!.node.time).toBe(iso(start + 100 * SLOT_MS));
    expect(next.data!.points.pageInfo.hasPreviousPage).toBe(true);
    const last = await series({ after: next.data!.points.edges[87]!.cursor });
    expect(last.data!.points.edges).toHaveLength(100);
    expect(last.data!.points.pageInfo.hasNextPage).toBe(false);
    // Without first: the whole day (at most 1000).
    expect((await series({})).data!.points.edges).toHaveLength(288);

    // A cursor of another series (another interval) or of another connection is refused.
    const hourly = await series({ interval: "HOUR", first: 2 });
    const mismatch = await series({ after: hourly.data!.points.edges[0]!.cursor });
    expect(mismatch.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after", rule: "cursor-mismatch" });
    const tasks = await postGraphQL(h.url, "{ tasks(first: 1) { edges { cursor } } }");
    const taskCursor = (tasks.body.data as { tasks: { edges: { cursor: string }[] } }).tasks.edges[0]!.cursor;
    expect((await series({ after: taskCursor })).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after", rule: "cursor-mismatch" });
    expect((await series({ after: "not-a-cursor!" })).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after", rule: "cursor-format" });
  });

  it("argument rules: first 1–1000, a known time zone and domain, to after from", async () => {
    const refusals: [Record<string, unknown>, string, string][] = [
      [{ first: 1001 }, "first", "max-1000"],
      [{ first: 0 }, "first", "min-1"],
      [{ first: -1 }, "first", "non-negative"],
      [{ tz: "Mars/Olympus" }, "timeZone", "time-zone"],
      [{ domain: "nope.example.com" }, "domain", "unknown-domain"],
      [{ from: iso(start + DAY_MS), to: iso(start) }, "to", "end-after-start"],
      [{ from: "yesterday" }, "from", "iso8601-utc-seconds"],
    ];
    for (const [variables, field, rule] of refusals) {
      const { data, errors } = await series(variables);
      expect(data, JSON.stringify(variables)).toBeNull();
      expect(errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: "BAD_USER_INPUT", field, rule });
    }
    // 1000 points with every field passes the cost budget.
    const big = await series({ first: 1000 });
    expect(big.errors).toBeUndefined();
  });

  it("sheets: the workbook as it is, rows paged with their own cursors", async () => {
    const query = `query($id: String!, $first: Int, $after: String) { task(taskId: $id) { sheets { name headers rowCount
      rows(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { cells } } } } } }`;
    type Sheets = { task: { sheets: { name: string; headers: string[]; rowCount: number; rows: Page<{ cells: (string | null)[] }> }[] } };
    const res = await postGraphQL(h.url, query, { variables: { id: flow.taskId, first: 2 } });
    expect(res.body.errors).toBeUndefined();
    const [data, about] = (res.body.data as Sheets).task.sheets;
    expect(data).toMatchObject({ name: "用量明细", headers: ["时间", "域名", "流量(Byte)", "带宽(bps)"], rowCount: 288 * 3 });
    const a = usageAt(hashName(`${flow.taskId}/b.example.com`), start);
    // Rows in file order: each slot's domains as the task listed them.
    expect(data!.rows.edges[0]!.node.cells).toEqual([flow.startTime, "b.example.com", String(a.trafficBytes), String(a.bandwidthBps)]);
    expect(about).toMatchObject({ name: "说明", headers: ["TaskId", flow.taskId] });
    const next = await postGraphQL(h.url, query, { variables: { id: flow.taskId, first: 1, after: data!.rows.pageInfo.endCursor } });
    expect((next.body.data as Sheets).task.sheets[0]!.rows.edges[0]!.node.cells[1]).toBe("c.example.com");
    // A row cursor is not a point cursor.
    const crossed = await series({ after: data!.rows.edges[0]!.cursor });
    expect(crossed.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", rule: "cursor-mismatch" });
  });

  it("fileType for both kinds; usage and sheets are null, without an error, for tasks with no file to read", async () => {
    const list = await postGraphQL(h.url, `{ user: tasks(kind: USER_USAGE, first: 5) { edges { node { taskId fileType status } } } detail: tasks(first: 40) { edges { node { taskId fileType status } } } }`);
    type Nodes = { edges: { node: { taskId: string; fileType: string; status: string } }[] };
    const { user, detail } = list.body.data as { user: Nodes; detail: Nodes };
    expect(user.edges.length).toBeGreaterThan(0);
    for (const { node } of user.edges) expect(node.fileType).toBe("PDF");
    for (const { node } of detail.edges) expect(node.fileType).toBe("XLSX");
    const pdf = user.edges.find((e) => e.node.status === "SUCCESS")!.node;
    const unfinished = detail.edges.filter((e) => e.node.status !== "SUCCESS").map((e) => e.node);
    expect(unfinished.length).toBeGreaterThan(0);
    const read = `query($kind: ExportKind!, $id: String!) { task(kind: $kind, taskId: $id) { status usage(interval: DAY, timeZone: "Asia/Tokyo") { interval } sheets { name } } }`;
    for (const [kind, node] of [["USER_USAGE", pdf], ...unfinished.map((n) => ["USAGE_DETAIL", n] as const)] as const) {
      const res = await postGraphQL(h.url, read, { variables: { kind, id: node.taskId } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({ task: { status: node.status, usage: null, sheets: null } });
    }
    // A task created a moment ago has not succeeded yet.
    const created = await postGraphQL(h.url, `mutation($input: CreateUsageExportInput!) { createUsageExport(input: $input) { task { status usage { interval } sheets { name } } } }`, {
      variables: { input: { type: "FLOW", startTime: iso(start), endTime: iso(start + 3_600_000), domainNames: ["a.example.com"] } },
    });
    expect(created.body.data).toEqual({ createUsageExport: { task: { status: "CREATED", usage: null, sheets: null } } });
  });

  it("each export is read once, whatever asks how often", async () => {
    const other = await createFinishedExport(h.url, { startTime: iso(start), endTime: iso(start + 6 * 3_600_000), domainNames: ["a.example.com"] });
    const before = h.exportReading.contents.stats;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postGraphQL(h.url, `query($id: String!) { task(taskId: $id) { usage(interval: ${i % 2 === 0 ? "HOUR" : "DAY"}) { summary { trafficBytes } } sheets { rowCount } } }`, { variables: { id: other.taskId } }),
      ),
    );
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    const after = h.exportReading.contents.stats;
    expect(after.downloads - before.downloads).toBe(1);
    expect(after.parses - before.parses).toBe(1);
  });
});
