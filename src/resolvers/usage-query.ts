/**
 * The arguments of a usage series — `usage(domain, from, to, interval, timeZone)` in GraphQL,
 * the same names in the CSV route's query string — checked and turned into a query of the
 * parsed export. Refusals are BAD_USER_INPUT naming the argument and the rule.
 */
import { badUserInput } from "../errors.js";
import { isKnownTimeZone, type UsageInterval } from "../exports/zoned-time.js";
import type { UsageQuery } from "../exports/usage-series.js";
import type { UsageTable } from "../exports/usage-table.js";
import { parseUtcSeconds } from "./date-time.js";
import { Rule } from "./input-rules.js";

export const UsageRule = {
  TIME_ZONE: "time-zone",
  UNKNOWN_DOMAIN: "unknown-domain",
  INTERVAL: "interval",
} as const;

export const USAGE_INTERVALS: readonly UsageInterval[] = ["FIVE_MINUTES", "HOUR", "DAY"];
export const DEFAULT_USAGE_TIME_ZONE = "UTC";

export interface UsageArgs {
  domain?: string | null;
  from?: string | null;
  to?: string | null;
  interval?: string | null;
  timeZone?: string | null;
}

/** Checks what can be checked before the file is read: times, span, interval, zone. */
export function usageQueryOf(args: UsageArgs): UsageQuery {
  const from = args.from == null ? null : utcSeconds("from", args.from);
  const to = args.to == null ? null : utcSeconds("to", args.to);
  if (from !== null && to !== null && to <= from) throw badUserInput("to", Rule.END_AFTER_START, "to must be later than from");
  const interval = args.interval ?? "FIVE_MINUTES";
  if (!isUsageInterval(interval)) throw badUserInput("interval", UsageRule.INTERVAL, `interval must be one of ${USAGE_INTERVALS.join(", ")}`);
  const timeZone = args.timeZone ?? DEFAULT_USAGE_TIME_ZONE;
  if (!isKnownTimeZone(timeZone)) throw badUserInput("timeZone", UsageRule.TIME_ZONE, "timeZone must be an IANA time zone such as UTC or Asia/Shanghai");
  const domain = args.domain == null ? null : args.domain.trim().toLowerCase();
  return { domain, from, to, interval, timeZone };
}

/** A domain the file does not hold is refused, not answered with an empty series. */
export function checkDomain(table: UsageTable, query: UsageQuery): void {
  if (query.domain == null || table.domains.includes(query.domain)) return;
  throw badUserInput("domain", UsageRule.UNKNOWN_DOMAIN, `domain: the export holds no domain "${query.domain.slice(0, 253)}" (see usage.domains)`);
}

function utcSeconds(field: "from" | "to", text: string): number {
  const ms = parseUtcSeconds(text);
  if (ms === null) throw badUserInput(field, Rule.DATE_TIME_FORMAT, `${field} must be UTC ISO 8601 with seconds, yyyy-MM-ddTHH:mm:ssZ`);
  return ms;
}

function isUsageInterval(value: string): value is UsageInterval {
  return (USAGE_INTERVALS as readonly string[]).includes(value);
}
