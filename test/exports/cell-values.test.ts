/** Cell values: text of any cell kind, numbers, and times with, without a zone, and as Excel serials. */
import { describe, expect, it } from "vitest";
import { cellNumber, cellText, TimeCellReader } from "../../src/exports/cell-values.js";

describe("cells", () => {
  it("text of strings, numbers, rich text and formula results", () => {
    expect(cellText("a")).toBe("a");
    expect(cellText(12)).toBe("12");
    expect(cellText({ richText: [{ text: "流量" }, { text: "(Byte)" }] })).toBe("流量(Byte)");
    expect(cellText({ formula: "A1", result: "x" })).toBe("x");
    expect(cellText(null)).toBe("");
    expect(cellText({ error: "#N/A" })).toBe("");
  });

  it("numbers: plain, numeric text, empty is NaN, other text is none", () => {
    expect(cellNumber(12.5)).toBe(12.5);
    expect(cellNumber("1,234.5")).toBe(1234.5);
    expect(cellNumber({ formula: "A1*2", result: 4 })).toBe(4);
    expect(cellNumber("")).toBeNaN();
    expect(cellNumber(null)).toBeNaN();
    expect(cellNumber("many")).toBeUndefined();
  });
});

describe("time cells", () => {
  const shanghai = new TimeCellReader("Asia/Shanghai");
  it.each([
    ["2025-06-01 08:00:00", Date.UTC(2025, 5, 1)],
    ["2025/6/1 8:05", Date.UTC(2025, 5, 1, 0, 5)],
    ["2025-06-01T08:00:00", Date.UTC(2025, 5, 1)],
    ["2025-06-01T00:00:00Z", Date.UTC(2025, 5, 1)],
    ["2025-06-01T00:00:00.000Z", Date.UTC(2025, 5, 1)],
    ["2025-06-01T08:00:00+08:00", Date.UTC(2025, 5, 1)],
    ["2025-05-31T20:00:00-0400", Date.UTC(2025, 5, 1)],
    ["2025-06-01 00:00:00 UTC", Date.UTC(2025, 5, 1)],
    ["2025-06-01", Date.UTC(2025, 4, 31, 16)],
  ])("%s", (text, expected) => {
    expect(shanghai.read(text)).toBe(expected);
  });

  it("not times", () => {
    for (const text of ["", "yesterday", "2025-02-30 00:00:00", "2025-06-01 24:00:00", "2025-06-01 08:61:00"]) expect(shanghai.read(text)).toBeUndefined();
  });

  it("Excel serials are wall-clock days since 1899-12-30 (1904-01-01 in 1904 workbooks)", () => {
    expect(shanghai.read(45809 + 8 / 24)).toBe(Date.UTC(2025, 5, 1));
    expect(new TimeCellReader("UTC").read(45809.5)).toBe(Date.UTC(2025, 5, 1, 12));
    expect(new TimeCellReader("UTC", true).read(45809 - 1462)).toBe(Date.UTC(2025, 5, 1));
    expect(shanghai.read(-1)).toBeUndefined();
  });
});
