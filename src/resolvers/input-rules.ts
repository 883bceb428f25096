/**
 * Input rules the gateway enforces before any upstream call (documented upstream rules plus
 * sane limits), as zod 4 schemas for the Pothos validation plugin. Each rule carries a stable
 * name in `params.rule`, which clients receive as `extensions.rule`.
 */
import { z } from "zod";
import { addOneUtcYear, parseUtcSeconds } from "./date-time.js";

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

export const domainNamesInput = z
  .array(hostName)
  .refine((v) => v.length <= LIMITS.maxDomains, rule(Rule.MAX_DOMAINS, `at most ${LIMITS.maxDomains} domain names`));

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
 * the span is checked per mutation field (`spanArgsRule`), not by the input type.
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

/** Field-level rule for `{ input }` args: the span limit of that mutation. */
export function spanArgsRule(limit: SpanLimit) {
  return z
    .object({ input: z.object({ startTime: z.string(), endTime: z.string() }).loose() })
    .loose()
    .superRefine(({ input }, ctx) => {
      const start = parseUtcSeconds(input.startTime);
      const end = parseUtcSeconds(input.endTime);
      if (start === null || end === null || end <= start || limit.allows(start, end)) return;
      ctx.addIssue({ code: "custom", path: ["input", "endTime"], ...rule(limit.rule, limit.message) });
    });
}

export const userUsageInputRules = z
  .object({ startTime: z.string(), endTime: z.string() })
  .loose()
  .superRefine(timeRangeIssues);

export const usageDetailInputRules = z
  .object({
    startTime: z.string(),
    endTime: z.string(),
    domainNames: z.array(z.string()).nullish(),
    group: z.string().nullish(),
  })
  .loose()
  .superRefine((input, ctx) => {
    timeRangeIssues(input, ctx);
    if (input.group != null && input.domainNames != null && input.domainNames.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["group"],
        ...rule(Rule.GROUP_OR_DOMAINS, "give group or domainNames, not both (the upstream ignores domainNames when group is set)"),
      });
    }
  });
