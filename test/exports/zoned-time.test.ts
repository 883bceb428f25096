/** Wall clocks of IANA zones, checked against the platform's own formatting of instants. */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/emulator/prng.js";
import { DAY_MS, HOUR_MS, isKnownTimeZone, ZoneClock, type UsageInterval } from "../../src/exports/zoned-time.js";
import { wallText } from "./workbook-files.js";

describe("ZoneClock", () => {
  it("knows IANA names and refuses others", () => {
    for (const name of ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Kathmandu"]) expect(isKnownTimeZone(name)).toBe(true);
    for (const name of ["Mars/Olympus", "", "Asia/Shanghai ", "x".repeat(100)]) expect(isKnownTimeZone(name)).toBe(false);
    expect(() => new ZoneClock("Mars/Olympus")).toThrow(RangeError);
  });

  it("offsets: fixed, with daylight saving, and a quarter-hour zone", () => {
    expect(new ZoneClock("Asia/Shanghai").offsetAt(Date.UTC(2025, 0, 1))).toBe(8 * HOUR_MS);
    const newYork = new ZoneClock("America/New_York");
    expect(newYork.offsetAt(Date.UTC(2025, 6, 1))).toBe(-4 * HOUR_MS);
    expect(newYork.offsetAt(Date.UTC(2025, 0, 1))).toBe(-5 * HOUR_MS);
    expect(new ZoneClock("Asia/Kathmandu").offsetAt(Date.UTC(2025, 0, 1))).toBe(5.75 * HOUR_MS);
  });

  it("wall time to instant: a repeated time is the earlier, a skipped one moves forward", () => {
    const newYork = new ZoneClock("America/New_York");
    expect(newYork.toUtc(Date.UTC(2025, 5, 1, 12))).toBe(Date.UTC(2025, 5, 1, 16));
    // 2025-03-09 02:30 never happens in New York (02:00 → 03:00): 03:30 EDT.
    expect(newYork.toUtc(Date.UTC(2025, 2, 9, 2, 30))).toBe(Date.UTC(2025, 2, 9, 7, 30));
    // 2025-11-02 01:30 happens twice (EDT, then EST): the first.
    expect(newYork.toUtc(Date.UTC(2025, 10, 2, 1, 30))).toBe(Date.UTC(2025, 10, 2, 5, 30));
    expect(new ZoneClock("Asia/Shanghai").toUtc(Date.UTC(2025, 5, 1, 8))).toBe(Date.UTC(2025, 5, 1));
  });

  it("days are 23 and 25 hours long where clocks change", () => {
    const newYork = new ZoneClock("America/New_York");
    const march9 = newYork.startOf(Date.UTC(2025, 2, 9, 12), "DAY");
    expect(march9).toBe(Date.UTC(2025, 2, 9, 5));
    expect(newYork.next(march9, "DAY") - march9).toBe(23 * HOUR_MS);
    const november2 = newYork.startOf(Date.UTC(2025, 10, 2, 12), "DAY");
    expect(newYork.next(november2, "DAY") - november2).toBe(25 * HOUR_MS);
  });

  it("hours start on the zone's hour: Kathmandu's at :15 UTC", () => {
    const kathmandu = new ZoneClock("Asia/Kathmandu");
    expect(kathmandu.startOf(Date.UTC(2025, 5, 1, 0, 20), "HOUR")).toBe(Date.UTC(2025, 5, 1, 0, 15));
    expect(kathmandu.startOf(Date.UTC(2025, 5, 1, 0, 10), "HOUR")).toBe(Date.UTC(2025, 4, 31, 23, 15));
  });

  // Every instant lies in its bucket, and buckets start where the zone's own clock says.
  it.each(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "Asia/Shanghai", "UTC"])("buckets in %s agree with the platform's clock", (zone) => {
    const clock = new ZoneClock(zone);
    const random = seededRandom(7);
    const yearStart = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 400; i++) {
      const instant = yearStart + Math.floor(random() * 365 * DAY_MS);
      for (const interval of ["FIVE_MINUTES", "HOUR", "DAY"] as UsageInterval[]) {
        const start = clock.startOf(instant, interval);
        const next = clock.next(start, interval);
        expect(start).toBeLessThanOrEqual(instant);
        expect(next).toBeGreaterThan(instant);
        const wall = wallText(start, zone);
        if (interval === "FIVE_MINUTES") expect(Number(wall.slice(14)) % 5).toBe(0);
        if (interval === "HOUR") expect(wall.slice(14)).toBe("00");
        if (interval === "DAY") expect(wall.slice(11)).toBe("00:00");
        if (interval === "DAY") expect(wallText(next, zone).slice(11)).toBe("00:00");
      }
    }
  });
});
