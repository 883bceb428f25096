/**
 * Plausible 5-minute usage numbers for the export files: a daily curve peaking in the China
 * evening, a per-domain size, and deterministic jitter (same task, same numbers).
 */
import { DAY_MS, HOUR_MS } from "./time.js";

export const STEP_MS = 5 * 60 * 1000;
const STEP_SECONDS = STEP_MS / 1000;

export interface UsagePoint {
  trafficBytes: number;
  bandwidthBps: number;
  requests: number;
}

/** FNV-1a: a stable 32-bit number for a name. */
export function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ b, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

export function usageAt(seed: number, time: number): UsagePoint {
  const scale = 2e8 + (seed % 1000) * 2e7; // 0.2–20 GB per 5 minutes at the daily peak
  // Peak at 21:00 China time (13:00Z), trough before dawn.
  const hourOfDay = (time % DAY_MS) / HOUR_MS;
  const daily = 0.55 + 0.45 * Math.cos(((hourOfDay - 13) / 24) * 2 * Math.PI);
  const jitter = 0.85 + (mix(seed, Math.floor(time / STEP_MS)) % 3000) / 10000;
  const trafficBytes = Math.round(scale * daily * jitter);
  const averageObjectBytes = 40_000 + (seed % 200) * 1000;
  return {
    trafficBytes,
    bandwidthBps: Math.round((trafficBytes * 8) / STEP_SECONDS),
    requests: Math.max(1, Math.round(trafficBytes / averageObjectBytes)),
  };
}
