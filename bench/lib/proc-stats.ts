/**
 * Another process's resources, from /proc (Linux): resident memory (current and the kernel's
 * high-water mark) and CPU time used so far. CPU time is what a busy machine inflates least, so
 * start-up reports it next to wall time.
 */
import { readFile } from "node:fs/promises";

export interface ProcessMemory {
  rssBytes: number;
  peakRssBytes: number;
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (match?.[1] === undefined) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
}

/** Kernel clock ticks per second (USER_HZ): 100 on Linux builds Node supports. */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds the process has used (10 ms resolution). */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the full line: 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / TICKS_PER_SECOND) * 1000;
}
