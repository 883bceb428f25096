/** A valid export range for creates: the day before the last full hour (upstream time format). */
export function lastFullDay(now: number): { startTime: string; endTime: string } {
  const end = Math.floor(now / 3_600_000) * 3_600_000 - 3_600_000;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { startTime: iso(end - 86_400_000), endTime: iso(end) };
}
