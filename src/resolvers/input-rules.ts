/**
 * Input rules the gateway enforces before any upstream call (documented upstream rules plus
 * sane limits), as zod 4 schemas for the Pothos validation plugin. Each rule carries a stable
 * name in `params.rule`, which clients receive as `extensions.rule`.
 */
import { z } from "zod";
import type { InputViolation } from "../errors.js";
import { addOneUtcYear, formatUtcSeconds, oneYearBefore, parseUtcSeconds } from "./date-time.js";

export const Rule = {
  DATE_TIME_FORMAT: "iso8601-utc-seconds",
  END_AFTER_START: "end-after-start",
  MAX_SPAN: "max-31-days",
  MAX_LONG_RANGE: "max-1-year",
  MAX_AGE: "max-1-year-back",
  HOSTNAME: "hostname",
  MAX_DOMAINS: "max-100-domains",
  GROUP_OR_DOMAINS: "group-or-domain-names",
  GROUP_FORMAT: "group-format",
  TASK_NAME: "task-name-format",
  TASK_ID: "task-id-format",
  IDEMPOTENCY_KEY: "idempotency-key-format",
  NOT_IN_FUTURE: "not-in-future",
  MIN_DOMAINS: "min-1-domain",
  DISTINCT_DOMAINS: "distinct-domain-names",
  NAME_CONTAINS: "name-contains-length",
} as const;
export type Rule = (typeof Rule)[keyof typeof Rule];

export const LIMITS = {
  maxSpanMs: 31 * 24 * 60 * 60 * 1000,
  maxDomains: 100,
  maxTaskNameLength: 64,
  maxGroupLength: 128,
  maxTaskIdLength: 64,
  maxIdempotencyKeyLength: 255,
} as const;

const rule = (name: Rule, message: string) => ({ message, params: { rule: name } });

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;
// A fully qualified name of RFC 1123 labels with an alphabetic top-level label, optionally a
// leading `*.` for wildcard CDN domains. No commas or spaces can pass, so the comma-joined
// DomainNames parameter cannot be smuggled extra entries.
const HOST_NAME = /^(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export const dateTimeInput = z
  .string()
  .refine((v) => parseUtcSeconds(v) !== null, rule(Rule.DATE_TIME_FORMAT, "must be UTC ISO 8601 with seconds, yyyy-MM-ddTHH:mm:ssZ"));

export const hostName = z
  .string()
  .refine((v) => v.length <= 253 && HOST_NAME.test(v), rule(Rule.HOSTNAME, "must be a domain name such as cdn.example.com (letters, digits, hyphens, dots)"));

/** Host names compare case-insensitively (DNS): the index of the first repeat, or -1. */
function firstRepeatedHost(names: readonly string[]): number {
  const seen = new Set<string>();
  return names.findIndex((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
}

export const domainNamesInput = z
  .array(hostName)
  .refine((v) => v.length >= 1, rule(Rule.MIN_DOMAINS, "at least one domain name (leave domainNames out for every domain)"))
  .refine((v) => v.length <= LIMITS.maxDomains, rule(Rule.MAX_DOMAINS, `at most ${LIMITS.maxDomains} domain names`))
  .superRefine((names, ctx) => {
    const repeat = firstRepeatedHost(names);
    if (repeat < 0) return;
    ctx.addIssue({ code: "custom", path: [repeat], ...rule(Rule.DISTINCT_DOMAINS, `${names[repeat] ?? ""} is listed twice (host names compare case-insensitively)`) });
  });

export const groupInput = z
  .string()
  .refine(
    (v) => v.length >= 1 && v.length <= LIMITS.maxGroupLength && NO_CONTROL_CHARS.test(v) && !v.includes(","),
    rule(Rule.GROUP_FORMAT, `must be 1–${LIMITS.maxGroupLength} characters, no commas or control characters`),
  );

export const taskNameInput = z
  .string()
  .refine(
    (v) => v.length >= 1 && v.length <= LIMITS.maxTaskNameLength && NO_CONTROL_CHARS.test(v),
    rule(Rule.TASK_NAME, `must be 1–${LIMITS.maxTaskNameLength} characters, no control characters`),
  );

export const taskIdInput = z
  .string()
  .refine(
    (v) => v.length <= LIMITS.maxTaskIdLength && /^[A-Za-z0-9._-]+$/.test(v),
    rule(Rule.TASK_ID, `must be 1–${LIMITS.maxTaskIdLength} letters, digits, '.', '_' or '-'`),
  );

export const idempotencyKeyInput = z
  .string()
  .refine(
    (v) => v.length <= LIMITS.maxIdempotencyKeyLength && /^[\x20-\x7e]+$/.test(v),
    rule(Rule.IDEMPOTENCY_KEY, `must be 1–${LIMITS.maxIdempotencyKeyLength} printable ASCII characters`),
  );

interface TimeRangeShape {
  startTime: string;
  endTime: string;
}

/** Cross-field rule on every create input: end after start. */
export function timeRangeIssues(input: TimeRangeShape, ctx: z.RefinementCtx): void {
  const start = parseUtcSeconds(input.startTime);
  const end = parseUtcSeconds(input.endTime);
  if (start === null || end === null) return;
  if (end <= start) {
    ctx.addIssue({ code: "custom", path: ["endTime"], ...rule(Rule.END_AFTER_START, "endTime must be later than startTime") });
  }
}

/**
 * How long a create may span. The input types are shared by the single creates (one task, at
 * most 31 days) and the long-range creates (split into tasks, at most one calendar year), so
 * the span is a rule of each mutation's arguments (`createArgsRules`), not of the input type.
 */
export interface SpanLimit {
  rule: Rule;
  message: string;
  allows(startMs: number, endMs: number): boolean;
}

export const SINGLE_TASK_SPAN: SpanLimit = {
  rule: Rule.MAX_SPAN,
  message: "a task spans at most 31 days",
  allows: (start, end) => end - start <= LIMITS.maxSpanMs,
};

export const LONG_RANGE_SPAN: SpanLimit = {
  rule: Rule.MAX_LONG_RANGE,
  message: "a long range spans at most one year (endTime at most startTime + 1 calendar year, UTC)",
  allows: (start, end) => end <= addOneUtcYear(start),
};

function spanIssues(input: TimeRangeShape, limit: SpanLimit, ctx: z.RefinementCtx): void {
  const start = parseUtcSeconds(input.startTime);
  const end = parseUtcSeconds(input.endTime);
  if (start === null || end === null || end <= start || limit.allows(start, end)) return;
  ctx.addIssue({ code: "custom", path: ["endTime"], ...rule(limit.rule, limit.message) });
}

/** Field rules every create input has. */
const createFields = {
  startTime: dateTimeInput,
  endTime: dateTimeInput,
  taskName: taskNameInput.nullish(),
  idempotencyKey: idempotencyKeyInput.nullish(),
};

/**
 * Every static rule of a create input as ONE schema (field rules, then the cross-field ones),
 * so a refusal reports all that are broken at once: the validation plugin stops at the first
 * level (field, input type, arguments) that fails, so the rules must not be split over levels.
 */
export function userUsageInputRules(span: SpanLimit) {
  return z
    .object(createFields)
    .loose()
    .superRefine((input, ctx) => {
      timeRangeIssues(input, ctx);
      spanIssues(input, span, ctx);
    });
}

export function usageDetailInputRules(span: SpanLimit) {
  return z
    .object({ ...createFields, domainNames: domainNamesInput.nullish(), group: groupInput.nullish() })
    .loose()
    .superRefine((input, ctx) => {
      timeRangeIssues(input, ctx);
      spanIssues(input, span, ctx);
      if (input.group != null && input.domainNames != null && input.domainNames.length > 0) {
        ctx.addIssue({
          code: "custom",
          path: ["group"],
          ...rule(Rule.GROUP_OR_DOMAINS, "give group or domainNames, not both (the upstream ignores domainNames when group is set)"),
        });
      }
    });
}

/** A create mutation's `{ input }` arguments under an input's rules. */
export function createArgsRules(inputRules: z.ZodType) {
  return z.object({ input: inputRules }).loose();
}

/** A broken rule the request clock decides, relative to the create input. */
export interface ClockViolation {
  field: "startTime";
  rule: Rule;
  message: string;
}

/**
 * Rules on `startTime` that need the request's clock, so they cannot live in the static
 * schemas: at most one year back, and not in the future (there is no usage there yet).
 */
export function startTimeClockViolations(startTime: string, nowMs: number): ClockViolation[] {
  const start = parseUtcSeconds(startTime);
  if (start === null) return [];
  const oldest = oneYearBefore(nowMs);
  if (start < oldest) {
    return [{ field: "startTime", rule: Rule.MAX_AGE, message: `data can be exported from at most one year back (${formatUtcSeconds(oldest)})` }];
  }
  if (start > nowMs) {
    return [{ field: "startTime", rule: Rule.NOT_IN_FUTURE, message: `must not be in the future (now is ${formatUtcSeconds(nowMs)})` }];
  }
  return [];
}

/**
 * `TaskFilter`: times in the DateTime format, `createdBefore` later than `createdAfter` (the
 * range is [createdAfter, createdBefore)), `nameContains` no longer than a task name can be.
 */
export const taskFilterRules = z
  .object({
    createdAfter: dateTimeInput.nullish(),
    createdBefore: dateTimeInput.nullish(),
    nameContains: z
      .string()
      .refine((v) => v.length <= LIMITS.maxTaskNameLength, rule(Rule.NAME_CONTAINS, `at most ${LIMITS.maxTaskNameLength} characters (a task name's limit)`))
      .nullish(),
  })
  .loose()
  .superRefine((filter, ctx) => {
    const after = filter.createdAfter == null ? null : parseUtcSeconds(filter.createdAfter);
    const before = filter.createdBefore == null ? null : parseUtcSeconds(filter.createdBefore);
    if (after !== null && before !== null && before <= after) {
      ctx.addIssue({ code: "custom", path: ["createdBefore"], ...rule(Rule.END_AFTER_START, "createdBefore must be later than createdAfter") });
    }
  });

/** The clock rules of a create's `input` argument, as violations of `input.startTime`. */
export function createInputClockViolations(input: unknown, nowMs: number): InputViolation[] {
  if (typeof input !== "object" || input === null || !("startTime" in input) || typeof input.startTime !== "string") return [];
  return startTimeClockViolations(input.startTime, nowMs).map((v) => ({
    field: `input.${v.field}`,
    rule: v.rule,
    message: `input.${v.field}: ${v.message}`,
  }));
}
