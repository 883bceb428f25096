/**
 * The upstream's documented parameter rules, each answered with its documented code
 * (shared/docs/upstream-api.md): time format and order, the 31-day span, the one-year
 * look-back, Type / Language values, page bounds. Empty optional values count as absent.
 */
import type { ExportLanguage, UsageType } from "../upstream/types.js";
import { ApiError } from "./api-error.js";
import { DAY_MS, parseIsoSeconds } from "./time.js";

export type Params = ReadonlyMap<string, string>;

export const MAX_SPAN_MS = 31 * DAY_MS;
export const MAX_LOOKBACK_MS = 365 * DAY_MS;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;
export const MAX_PAGE_NUMBER = 100_000;

export interface TimeRange {
  startTime: string;
  endTime: string;
}

export interface UsageDetailRequest extends TimeRange {
  type: UsageType;
  domainNames: string[] | undefined;
  group: string | undefined;
  language: ExportLanguage;
  taskName: string | undefined;
}

export interface UserUsageRequest extends TimeRange {
  language: ExportLanguage;
  taskName: string | undefined;
}

export interface PageRequest {
  pageNumber: number;
  pageSize: number;
}

const isUsageType = (value: string): value is UsageType => value === "flow" || value === "vas";
const isLanguage = (value: string): value is ExportLanguage => value === "zh-cn" || value === "en-us";
/** Host names, optionally a leading wildcard label (`*.example.com`). */
const DOMAIN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function optional(params: Params, name: string): string | undefined {
  const value = params.get(name);
  return value === undefined || value === "" ? undefined : value;
}

export function timeRange(params: Params, now: number): TimeRange {
  const startTime = optional(params, "StartTime");
  const endTime = optional(params, "EndTime");
  if (startTime === undefined || endTime === undefined) throw new ApiError("MissingTimeParameter");
  const start = parseIsoSeconds(startTime);
  if (start === undefined) throw new ApiError("InvalidStartTime.Malformed", "Use yyyy-MM-ddTHH:mm:ssZ (UTC).");
  const end = parseIsoSeconds(endTime);
  if (end === undefined) throw new ApiError("InvalidEndTime.Malformed", "Use yyyy-MM-ddTHH:mm:ssZ (UTC).");
  if (end <= start) throw new ApiError("InvalidParameterEndTime", "EndTime must be later than StartTime.");
  if (end - start > MAX_SPAN_MS) throw new ApiError("InvalidTimeRange");
  if (start < now - MAX_LOOKBACK_MS) {
    throw new ApiError("InvalidParameterStartTime", "Data can be exported from at most one year back.");
  }
  return { startTime, endTime };
}

function language(params: Params): ExportLanguage {
  const value = optional(params, "Language") ?? "zh-cn";
  if (!isLanguage(value)) throw new ApiError("InvalidParameter", "Language must be zh-cn or en-us.");
  return value;
}

function domainNames(params: Params): string[] | undefined {
  const value = optional(params, "DomainNames");
  if (value === undefined) return undefined;
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!DOMAIN.test(name)) throw new ApiError("InvalidParameter", "DomainNames must be comma-separated domain names.");
  }
  return names;
}

export function usageDetailRequest(params: Params, now: number): UsageDetailRequest {
  const type = optional(params, "Type");
  if (type === undefined || !isUsageType(type)) {
    throw new ApiError("InvalidParameter", "Type is required: flow or vas.");
  }
  const range = timeRange(params, now);
  const group = optional(params, "Group");
  return {
    ...range,
    type,
    // With a Group, DomainNames is ignored (documented), so it is not validated either.
    domainNames: group === undefined ? domainNames(params) : undefined,
    group,
    language: language(params),
    taskName: optional(params, "TaskName"),
  };
}

export function userUsageRequest(params: Params, now: number): UserUsageRequest {
  return { ...timeRange(params, now), language: language(params), taskName: optional(params, "TaskName") };
}

function boundedInteger(params: Params, name: string, fallback: number, max: number): number {
  const value = optional(params, name);
  if (value === undefined) return fallback;
  const number = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 1 && number <= max)) throw new ApiError("InvalidParameter", `${name} must be an integer from 1 to ${max}.`);
  return number;
}

export function pageRequest(params: Params): PageRequest {
  return {
    pageNumber: boundedInteger(params, "PageNumber", 1, MAX_PAGE_NUMBER),
    pageSize: boundedInteger(params, "PageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
  };
}

export function taskIdParam(params: Params): string {
  const taskId = optional(params, "TaskId");
  if (taskId === undefined) throw new ApiError("InvalidParameter", "TaskId is required.");
  return taskId;
}
