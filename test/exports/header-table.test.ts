/** The header table: names in both languages, units inside the header, rows that are not headers. */
import { describe, expect, it } from "vitest";
import { matchHeaderRow, readHeaderCell } from "../../src/exports/header-table.js";

describe("header cells", () => {
  it.each([
    ["时间", "time", ""],
    ["Time", "time", ""],
    ["域名", "domain", ""],
    ["Domain Name", "domain", ""],
    ["流量(Byte)", "traffic", "byte"],
    ["流量（GB）", "traffic", "gb"],
    ["Traffic (MB)", "traffic", "mb"],
    ["带宽(bps)", "bandwidth", "bps"],
    ["Bandwidth [Mbps]", "bandwidth", "mbps"],
    ["  BANDWIDTH   (Gbps) ", "bandwidth", "gbps"],
    ["请求数", "requests", ""],
    ["Requests", "requests", ""],
  ])("%s", (text, column, unit) => {
    expect(readHeaderCell(text)).toEqual({ column, unit });
  });

  it("other text is no header", () => {
    for (const text of ["", "CDN用量明细", "Zeit", "Traffic of the day", "(Byte)"]) expect(readHeaderCell(text)).toBeNull();
  });
});

describe("header rows", () => {
  it("columns wherever they stand, with unit multipliers", () => {
    const match = matchHeaderRow(["", "Domain", "Traffic (KB)", "Time", "Bandwidth (Kbps)", "Requests", "Note"]);
    expect(match).toEqual({
      ok: true,
      layout: { time: 3, domain: 1, traffic: { index: 2, factor: 1024 }, bandwidth: { index: 4, factor: 1000 }, requests: { index: 5, factor: 1 } },
    });
  });

  it("a header row needs a time, a domain and a measure", () => {
    expect(matchHeaderRow(["时间", "域名"])).toBeNull();
    expect(matchHeaderRow(["时间", "流量(Byte)"])).toBeNull();
    expect(matchHeaderRow(["CDN用量明细"])).toBeNull();
  });

  it("a header row it cannot read says why", () => {
    expect(matchHeaderRow(["Time", "Domain", "Traffic (furlongs)"])).toEqual({ ok: false, problem: 'unknown traffic unit "furlongs"' });
    expect(matchHeaderRow(["Time", "Domain", "Traffic", "流量"])).toEqual({ ok: false, problem: "column traffic is named twice" });
  });
});
