/**
 * How busy other processes were while something ran: CPU milliseconds used per wall
 * millisecond, in percent (100 = one core). Tells whether a figure was limited by the process
 * under test or by the emulator or load generator next to it.
 */
import { processCpuMs } from "./proc-stats.js";

export async function cpuShares<T>(pids: Readonly<Record<string, number>>, work: () => Promise<T>): Promise<{ result: T; cpuPercent: Record<string, number> }> {
  const names = Object.keys(pids);
  const before = await Promise.all(names.map((name) => processCpuMs(pids[name] ?? -1)));
  const startedAt = performance.now();
  const result = await work();
  const wallMs = performance.now() - startedAt;
  const after = await Promise.all(names.map((name) => processCpuMs(pids[name] ?? -1)));
  const cpuPercent: Record<string, number> = {};
  names.forEach((name, i) => {
    cpuPercent[name] = (((after[i] ?? 0) - (before[i] ?? 0)) / wallMs) * 100;
  });
  return { result, cpuPercent };
}
