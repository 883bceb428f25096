/**
 * A live poll is work no single request owns: it starts its own trace (`live.poll`), and links
 * to the subscriptions it serves (the operation span of each `exportTaskUpdated`), so a
 * subscription's trace leads to the polls, page reads and upstream calls it caused.
 *
 * The subscriptions on this replica are linked from memory; those on other replicas (with Redis,
 * one replica polls for all) arrive through the coordinator (`WatchMembership.remoteLinks`), each
 * replica's written as one entry `<expiresAtMs> <traceparent> …` (`linkEntry`, `readLinkEntries`).
 */
import { currentSpanContext, spanContextFromTraceparent, SpanKind, traceparentOf, tracingActive, withSpan, type SpanContext } from "../observability/spans.js";
import type { TaskKey } from "../reading/entity-scan.js";

/** Enough to follow a few subscribers; a popular task does not make every poll span huge. */
export const MAX_LINKS = 32;

/** The subscribing request's span, taken when it subscribes (null without tracing). */
export function subscriptionLink(): SpanContext | null {
  return currentSpanContext();
}

/** The first MAX_LINKS links among `links`. */
export function firstLinks(links: Iterable<SpanContext | null>): SpanContext[] {
  const picked: SpanContext[] = [];
  for (const link of links) {
    if (picked.length >= MAX_LINKS) break;
    if (link !== null) picked.push(link);
  }
  return picked;
}

/**
 * Runs one poll of `key` in a `live.poll` span linked to the local subscribers first, then the
 * remote ones (read only while tracing: without it, no span and no read).
 */
export async function tracePoll<T>(
  key: TaskKey,
  local: () => Iterable<SpanContext | null>,
  remote: () => Promise<readonly SpanContext[]>,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return work();
  const linked = firstLinks(local());
  if (linked.length < MAX_LINKS) linked.push(...(await remote()).slice(0, MAX_LINKS - linked.length));
  return withSpan(
    "live.poll",
    {
      root: true,
      kind: SpanKind.INTERNAL,
      attributes: { "cdn.export_kind": key.kind, "cdn.task_id": key.taskId, "live.subscribers": linked.length },
      links: linked.map((context) => ({ context })),
    },
    () => work(),
  );
}

/** One replica's shared links as a hash value: when they stop counting, then up to MAX_LINKS traceparents. */
export function linkEntry(links: readonly SpanContext[], expiresAt: number): string {
  return [String(expiresAt), ...links.slice(0, MAX_LINKS).map(traceparentOf)].join(" ");
}

/**
 * The links in the entries of other replicas (`own` is this replica's field) that have not
 * expired at `now`, at most MAX_LINKS. An entry without a readable expiry is skipped whole, a
 * token that is not a valid traceparent alone.
 */
export function readLinkEntries(entries: Readonly<Record<string, string>>, own: string, now: number): SpanContext[] {
  const links: SpanContext[] = [];
  for (const [field, value] of Object.entries(entries)) {
    if (field === own) continue;
    const [expiresAt = "", ...traceparents] = value.split(" ", MAX_LINKS + 1);
    if (!/^\d{1,15}$/.test(expiresAt) || Number(expiresAt) <= now) continue;
    for (const traceparent of traceparents) {
      const link = spanContextFromTraceparent(traceparent);
      if (link !== null) links.push(link);
      if (links.length >= MAX_LINKS) return links;
    }
  }
  return links;
}
