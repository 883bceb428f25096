/**
 * A live poll is work no single request owns: it starts its own trace (`live.poll`), and links
 * to the subscriptions it serves (the operation span of each `exportTaskUpdated` on this
 * replica), so a subscription's trace leads to the polls, page reads and upstream calls it caused.
 */
import { currentSpanContext, SpanKind, tracingActive, withSpan, type SpanContext } from "../observability/spans.js";
import type { TaskKey } from "../reading/entity-scan.js";

/** Enough to follow a few subscribers; a popular task does not make every poll span huge. */
const MAX_LINKS = 32;

/** The subscribing request's span, taken when it subscribes (null without tracing). */
export function subscriptionLink(): SpanContext | null {
  return currentSpanContext();
}

export function tracePoll<T>(key: TaskKey, links: () => Iterable<SpanContext | null>, work: () => Promise<T>): Promise<T> {
  if (!tracingActive()) return work();
  const linked: SpanContext[] = [];
  for (const link of links()) {
    if (link !== null && linked.length < MAX_LINKS) linked.push(link);
  }
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
