/**
 * The deterministic synthetic history an emulator starts with: tasks of both kinds spread over
 * the last 80 days (inside the three months Describe* shows), most `success`, some `failed`,
 * and the newest few still `created` (they finish a few minutes after start). Same seed and
 * same clock → same history.
 */
import { EXPORT_KINDS, type ExportKind } from "../upstream/types.js";
import { pick, randomInt, type Random } from "./prng.js";
import type { NewTask } from "./task-registry.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, formatIsoSeconds } from "./time.js";

export const DEFAULT_HISTORY_SIZE: Readonly<Record<ExportKind, number>> = { USAGE_DETAIL: 300, USER_USAGE: 120 };

const SPREAD_MS = 80 * DAY_MS;
const STILL_CREATED = 3;
const FAILED_SHARE = 0.07;
/** Monthly exports follow the China-time month, as the upstream's own examples do (16:00Z). */
const CHINA_OFFSET_MS = 8 * HOUR_MS;
const NAMES = ["Monthly bill check", "Traffic audit", "月度用量导出", "Weekly report", "Capacity planning"];

export interface HistoryOptions {
  now: number;
  sizes: Readonly<Record<ExportKind, number>>;
  random: Random;
  domains: readonly string[];
}

/** Tasks of both kinds, oldest first (the registry numbers them in this order). */
export function generateHistory({ now, sizes, random, domains }: HistoryOptions): NewTask[] {
  const tasks: NewTask[] = [];
  for (const kind of EXPORT_KINDS) {
    for (let i = 0; i < sizes[kind]; i++) {
      tasks.push(i < STILL_CREATED ? stillCreated(kind, i, now, random, domains) : finished(kind, now, random, domains));
    }
  }
  return tasks.sort((a, b) => a.createdAt - b.createdAt);
}

function finished(kind: ExportKind, now: number, random: Random, domains: readonly string[]): NewTask {
  const createdAt = now - Math.floor((random() * SPREAD_MS) / SECOND_MS) * SECOND_MS - 10 * MINUTE_MS;
  return {
    ...shape(kind, createdAt, random, domains),
    readyAt: createdAt + randomInt(random, 20, 600) * SECOND_MS,
    outcome: random() < FAILED_SHARE ? "failed" : "success",
  };
}

function stillCreated(kind: ExportKind, index: number, now: number, random: Random, domains: readonly string[]): NewTask {
  const createdAt = now - (index + 1) * 37 * SECOND_MS;
  return { ...shape(kind, createdAt, random, domains), readyAt: now + (index + 1) * 90 * SECOND_MS, outcome: "success" };
}

/** Everything but the status: what was asked for, when. */
function shape(
  kind: ExportKind,
  createdAt: number,
  random: Random,
  domains: readonly string[],
): Omit<NewTask, "readyAt" | "outcome"> {
  const [start, end] = range(createdAt, random);
  const detail = kind === "USAGE_DETAIL";
  return {
    kind,
    name: random() < 0.5 ? pick(random, NAMES) : undefined,
    createdAt,
    startTime: formatIsoSeconds(start),
    endTime: formatIsoSeconds(end),
    usageType: detail ? (random() < 0.7 ? "flow" : "vas") : undefined,
    domains: detail && random() < 0.6 ? someOf(domains, random) : domains,
    language: random() < 0.75 ? "zh-cn" : "en-us",
  };
}

/** A range users ask for: the previous China-time month, a week, a day or a few hours. */
function range(createdAt: number, random: Random): [number, number] {
  const roll = random();
  if (roll < 0.3) {
    const local = new Date(createdAt + CHINA_OFFSET_MS);
    const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1) - CHINA_OFFSET_MS;
    const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - CHINA_OFFSET_MS - SECOND_MS;
    return [start, end];
  }
  const hours = roll < 0.55 ? 7 * 24 : roll < 0.85 ? 24 : randomInt(random, 1, 6);
  const end = Math.floor(createdAt / HOUR_MS) * HOUR_MS - randomInt(random, 0, 30) * DAY_MS;
  return [end - hours * HOUR_MS, end];
}

function someOf(domains: readonly string[], random: Random): string[] {
  const count = randomInt(random, 1, Math.min(3, domains.length));
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(pick(random, domains));
  return [...chosen].sort();
}
