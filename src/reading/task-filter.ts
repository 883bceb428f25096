/**
 * What a filtered `tasks` list keeps (`TaskFilter` in the schema), in the reading layer's terms:
 * every given condition must hold (AND). The upstream cannot filter, so this is applied to the
 * pages as they are read (filtered-window.ts). No I/O here.
 */
import type { UpstreamTask } from "../upstream/types.js";
import { taskStatus, type TaskStatus } from "./task-status.js";

export interface TaskFilter {
  /** Gateway statuses to keep; null = any. An empty set keeps nothing. */
  statuses: ReadonlySet<TaskStatus> | null;
  /** Created at or after this instant (epoch ms); null = no lower bound. */
  createdAfterMs: number | null;
  /** Created strictly before this instant (epoch ms); null = no upper bound. */
  createdBeforeMs: number | null;
  /** A substring of the task's name, already lower-cased; null = any name (or none). */
  nameContains: string | null;
}

export interface TaskFilterParts {
  statuses?: readonly TaskStatus[] | null;
  createdAfterMs?: number | null;
  createdBeforeMs?: number | null;
  nameContains?: string | null;
}

/**
 * The filter for the given parts, or null when they constrain nothing (no filter at all: the
 * plain list, with its cheaper reads and its exact totalCount from the upstream). An empty
 * `nameContains` constrains nothing, as an empty search box does.
 */
export function taskFilterOf(parts: TaskFilterParts | null | undefined): TaskFilter | null {
  if (parts === null || parts === undefined) return null;
  const needle = parts.nameContains === null || parts.nameContains === undefined || parts.nameContains === "" ? null : foldCase(parts.nameContains);
  const filter: TaskFilter = {
    statuses: parts.statuses === null || parts.statuses === undefined ? null : new Set(parts.statuses),
    createdAfterMs: parts.createdAfterMs ?? null,
    createdBeforeMs: parts.createdBeforeMs ?? null,
    nameContains: needle,
  };
  const constrains = filter.statuses !== null || filter.createdAfterMs !== null || filter.createdBeforeMs !== null || needle !== null;
  return constrains ? filter : null;
}

/** Case-insensitive comparison: both sides folded the same way. */
function foldCase(text: string): string {
  return text.normalize("NFC").toLowerCase();
}

/**
 * The filter as canonical text: equal filters (statuses in any order or repeated, the needle
 * in any case) give equal keys, so their cursors are interchangeable.
 */
export function taskFilterKey(filter: TaskFilter | null): string {
  if (filter === null) return "";
  return JSON.stringify([
    filter.statuses === null ? null : [...filter.statuses].sort(),
    filter.createdAfterMs,
    filter.createdBeforeMs,
    filter.nameContains,
  ]);
}

/** True when no task can match (an empty status set, or an empty time range). */
export function matchesNothing(filter: TaskFilter): boolean {
  if (filter.statuses !== null && filter.statuses.size === 0) return true;
  return filter.createdAfterMs !== null && filter.createdBeforeMs !== null && filter.createdBeforeMs <= filter.createdAfterMs;
}

/** CreateTime in epoch ms, or null when the upstream sent something that is not a time. */
export function createdMsOf(task: Pick<UpstreamTask, "createTime">): number | null {
  const ms = Date.parse(task.createTime);
  return Number.isNaN(ms) ? null : ms;
}

export function matchesFilter(task: UpstreamTask, filter: TaskFilter): boolean {
  if (filter.statuses !== null && !filter.statuses.has(taskStatus(task.rawStatus))) return false;
  if (filter.nameContains !== null && (task.name === null || !foldCase(task.name).includes(filter.nameContains))) return false;
  if (filter.createdAfterMs === null && filter.createdBeforeMs === null) return true;
  const created = createdMsOf(task);
  if (created === null) return false;
  if (filter.createdAfterMs !== null && created < filter.createdAfterMs) return false;
  return filter.createdBeforeMs === null || created < filter.createdBeforeMs;
}

/** Older than `createdAfter`: the list is newest first, so every later task is older still. */
export function isPastCreatedAfter(task: UpstreamTask, filter: TaskFilter): boolean {
  if (filter.createdAfterMs === null) return false;
  const created = createdMsOf(task);
  return created !== null && created < filter.createdAfterMs;
}

/** At or after `createdBefore`: walking towards newer tasks, every earlier one is newer still. */
export function isBeforeCreatedBefore(task: UpstreamTask, filter: TaskFilter): boolean {
  if (filter.createdBeforeMs === null) return false;
  const created = createdMsOf(task);
  return created !== null && created >= filter.createdBeforeMs;
}
