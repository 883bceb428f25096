/**
 * A span around each page read (design.md "Tracing: OpenTelemetry"), telling how the page cache
 * served it: `cdn.cache` = `hit` (from the freshness window), `miss` (this read went upstream:
 * its `cdn <Action>` spans are children of this one) or `shared` (joined a read already in
 * flight), and `cdn.quota_wait_ms`: what the upstream calls behind the page waited for quota
 * slots (0 for a hit; for a shared read, the wait of the read it joined).
 */
import { measuringQuotaWait, tracingActive, withSpan, type QuotaWaitMeter } from "../observability/spans.js";
import type { ExportKind, PageRequest } from "../upstream/types.js";

export type CacheOutcome = "hit" | "miss" | "shared";

export interface PageReadSpan {
  /** How the cache answered the read of `key` (right after asking it). */
  served(outcome: CacheOutcome, key: string): void;
}

export interface PageReadTracing {
  /** One caller's page read, inside its span. Without tracing, `work` runs alone. */
  read<T>(kind: ExportKind, page: PageRequest, work: (span: PageReadSpan | undefined) => Promise<T>): Promise<T>;
  /** The upstream read behind `key`: the quota waits of its calls add up for every reader of it. */
  fetch<T>(key: string, work: () => Promise<T>): Promise<T>;
}

const NO_WAIT: QuotaWaitMeter = { waitedMs: 0 };

export function createPageReadTracing(): PageReadTracing {
  const inFlight = new Map<string, QuotaWaitMeter>();
  return {
    read(kind, page, work) {
      if (!tracingActive()) return work(undefined);
      const attributes = { "cdn.export_kind": kind, "cdn.page_number": page.pageNumber, "cdn.page_size": page.pageSize };
      return withSpan("cdn.page_read", { attributes }, async (span) => {
        let meter = NO_WAIT;
        try {
          return await work({
            served(outcome, key) {
              span?.setAttribute("cdn.cache", outcome);
              meter = outcome === "hit" ? NO_WAIT : (inFlight.get(key) ?? NO_WAIT);
            },
          });
        } finally {
          span?.setAttribute("cdn.quota_wait_ms", Math.round(meter.waitedMs));
        }
      });
    },
    async fetch(key, work) {
      if (!tracingActive()) return work();
      const meter: QuotaWaitMeter = { waitedMs: 0 };
      inFlight.set(key, meter);
      try {
        return await measuringQuotaWait(meter, work);
      } finally {
        if (inFlight.get(key) === meter) inFlight.delete(key);
      }
    },
  };
}
