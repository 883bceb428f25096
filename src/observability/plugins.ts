/**
 * Small yoga plugins for observability: readiness, request ids and the GraphQL-level Prometheus
 * metrics (on the gateway's own registry). The access log is access-log.ts.
 */
import { useReadinessCheck, type Plugin } from "graphql-yoga";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import type { Registry } from "prom-client";
import type { RequestLogContext } from "./request-log-context.js";
import { requestIdFrom, type RequestTracker } from "./request-tracker.js";

const READY_PATH = "/ready";

/** What GET /ready answers: 200 or 503, and a body naming each check's result. */
export interface ReadyAnswer {
  status: number;
  body: { status: string; checks: Record<string, string> };
}

/** yoga's readiness check at `/ready`, answering with `answer()` as JSON (HEAD: no body). */
export function useReadiness(answer: () => Promise<ReadyAnswer>): Plugin {
  const readiness = useReadinessCheck({
    endpoint: READY_PATH,
    check: async ({ fetchAPI }) => {
      const { status, body } = await answer();
      return new fetchAPI.Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
    },
  });
  return {
    ...readiness,
    // yoga's check tries a URLPattern (a polyfill on Node 20) on every request that is not
    // `/ready`; the pathname (parsed once per request by yoga anyway) settles it for all others.
    onRequest(payload) {
      if (payload.url.pathname === READY_PATH) return readiness.onRequest?.(payload);
    },
  };
}

export interface RequestIdOptions {
  tracker: RequestTracker;
  now: () => number;
  generateId?: () => string;
  /** Gets the id too, so every log line of the request carries it. */
  logContext?: RequestLogContext;
}

/** Accepts a sane `x-request-id` or makes one; echoes it on the response. */
export function useRequestId(options: RequestIdOptions): Plugin {
  return {
    onRequest({ request }) {
      const requestId = requestIdFrom(request.headers, options.generateId);
      options.tracker.begin(request, requestId, options.now());
      options.logContext?.setRequestId(requestId);
    },
    onResponse({ request, response }) {
      const tracked = options.tracker.get(request);
      if (tracked !== undefined) response.headers.set("x-request-id", tracked.requestId);
    },
  };
}

/**
 * yoga's Prometheus plugin on our registry. No `/metrics` route on the public port (the metrics
 * listener serves the registry), and no client-chosen strings as labels: operation names and
 * URLs would let any caller grow the series without bound.
 */
export function useGraphQLMetrics(registry: Registry): Plugin {
  return usePrometheus({
    registry,
    endpoint: false,
    labels: { operationName: false, url: false },
    // Parse and validate are served from yoga's document cache and context building is a
    // few object allocations: timing those phases cost more per query (histogram label work,
    // bench case 1) than they ever tell. Requests, errors, execution and HTTP time stay.
    metrics: {
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
    },
  });
}
