/**
 * Prometheus metrics on a registry of our own (never prom-client's global one, so several
 * gateways can live in one process, e.g. in tests). The upstream client reports through the
 * `UpstreamObserver` interface; it knows nothing about Prometheus.
 *
 * Labels are bounded: `action` is one of the six upstream actions, `outcome` a `CallOutcome`.
 * No label ever holds a request parameter, a key or a header.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Logger } from "pino";
import type { CallOutcome, UpstreamObserver } from "../upstream/types.js";

export interface GatewayMetrics {
  registry: Registry;
  /** Hand this to the upstream client (`observer` option). */
  upstreamObserver: UpstreamObserver;
  /** Prometheus text exposition of everything in the registry. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Also collect Node's process metrics (heap, event loop lag, GC). Off in tests. */
  processMetrics?: boolean;
  /** Prefix for every metric name from this module. */
  prefix?: string;
}

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const prefix = options.prefix ?? "cdn_gateway_";
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix });

  const calls = new Counter({
    name: `${prefix}upstream_calls_total`,
    help: "Upstream HTTP attempts by action and outcome.",
    labelNames: ["action", "outcome"] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: `${prefix}upstream_retries_total`,
    help: "Upstream attempts retried, by action and the outcome that caused the retry.",
    labelNames: ["action", "reason"] as const,
    registers: [registry],
  });
  const throttles = new Counter({
    name: `${prefix}upstream_throttled_total`,
    help: "Upstream attempts answered with Throttling.",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${prefix}upstream_call_duration_seconds`,
    help: "Duration of one upstream attempt, by action and outcome.",
    labelNames: ["action", "outcome"] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const quotaWaits = new Histogram({
    name: `${prefix}upstream_quota_wait_seconds`,
    help: "Time a call waited for a slot of the gateway-wide upstream quota (CDN_RATE_LIMIT).",
    labelNames: ["action"] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });

  // Pre-create the series an operator alerts on, so they read 0 rather than being absent.
  for (const outcome of ["ok", "throttled", "timeout", "unavailable", "rejected"] satisfies CallOutcome[]) {
    calls.labels({ action: "DescribeUserUsageDetailDataExportTask", outcome }).inc(0);
  }

  const upstreamObserver: UpstreamObserver = {
    onCall({ action, durationMs, outcome }) {
      calls.labels({ action, outcome }).inc();
      latency.labels({ action, outcome }).observe(durationMs / 1000);
      if (outcome === "throttled") throttles.labels({ action }).inc();
    },
    onRetry({ action, reason }) {
      retries.labels({ action, reason }).inc();
    },
    onQuotaWait({ action, waitedMs }) {
      quotaWaits.labels({ action }).observe(waitedMs / 1000);
    },
  };

  return {
    registry,
    upstreamObserver,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** Fans one observer slot out to several listeners (metrics, readiness, logs). */
export function combineObservers(...observers: readonly UpstreamObserver[]): UpstreamObserver {
  return {
    onCall: (event) => {
      for (const o of observers) o.onCall?.(event);
    },
    onRetry: (event) => {
      for (const o of observers) o.onRetry?.(event);
    },
    onQuotaWait: (event) => {
      for (const o of observers) o.onQuotaWait?.(event);
    },
  };
}

/** Upstream trouble as log lines: action, attempt, outcome, HTTP status — never the request. */
export function upstreamLogObserver(logger: Pick<Logger, "warn" | "debug">): UpstreamObserver {
  return {
    onCall({ action, attempt, durationMs, outcome, httpStatus }) {
      if (outcome === "ok") return;
      logger.warn({ action, attempt, outcome, httpStatus, durationMs: Math.round(durationMs) }, "upstream call failed");
    },
    onRetry({ action, attempt, delayMs, reason }) {
      logger.debug({ action, attempt, delayMs: Math.round(delayMs), reason }, "upstream call retried");
    },
  };
}
