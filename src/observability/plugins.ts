/**
 * Small yoga plugins for observability: readiness, request ids, one access-log line per
 * operation, and the GraphQL-level Prometheus metrics (on the gateway's own registry).
 */
import { getOperationAST, type DocumentNode } from "graphql";
import { isAsyncIterable, useReadinessCheck, type Plugin } from "graphql-yoga";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import type { Registry } from "prom-client";
import type { Logger } from "pino";
import type { RequestLogContext } from "./request-log-context.js";
import { requestIdFrom, type OperationRecord, type RequestTracker } from "./request-tracker.js";

/** What GET /ready answers: 200 or 503, and a body naming each check's result. */
export interface ReadyAnswer {
  status: number;
  body: { status: string; checks: Record<string, string> };
}

/** yoga's readiness check at `/ready`, answering with `answer()` as JSON (HEAD: no body). */
export function useReadiness(answer: () => Promise<ReadyAnswer>): Plugin {
  return useReadinessCheck({
    endpoint: "/ready",
    check: async ({ fetchAPI }) => {
      const { status, body } = await answer();
      return new fetchAPI.Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
    },
  });
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

export interface AccessLogOptions {
  logger: Logger;
  tracker: RequestTracker;
  now: () => number;
}

export interface AccessLogLine {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  operationName: string | null;
  operationType: string | null;
  upstreamCalls: number;
  errorCodes: string[];
}

/**
 * One line per GraphQL operation (one per HTTP request unless batching), written when the
 * response is ready: request id, operation, duration, upstream call count, error codes.
 * Never the query text, variables or headers (they may hold inputs or keys).
 */
export function useAccessLog(options: AccessLogOptions): Plugin {
  const { tracker, now } = options;
  // An access line's keys are fixed (AccessLogLine): none can name a secret, so pino's key-path
  // redaction, whose wildcard paths cost ~200 µs a line (the largest single cost of a cached
  // query, bench case 3), is skipped for them. The value scrubber still runs on every line.
  const logger = options.logger.child({}, { redact: { paths: [] } });
  return {
    onParams({ request, params }) {
      tracker.get(request)?.operations.push({ name: params.operationName ?? null, type: null, errorCodes: [] });
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const op = request === undefined ? undefined : tracker.get(request)?.operations.at(-1);
      if (op === undefined) return;
      // envelop types `document`/`operationName` loosely; they are graphql-js execute args.
      const document: DocumentNode = args.document as DocumentNode;
      const operationName = args.operationName as string | null | undefined;
      const ast = getOperationAST(document, operationName ?? undefined);
      op.name = ast?.name?.value ?? op.name;
      op.type = ast?.operation ?? null;
    },
    onResultProcess({ request, result }) {
      const tracked = tracker.get(request);
      if (tracked === undefined || isAsyncIterable(result)) return;
      const results = Array.isArray(result) ? result : [result];
      results.forEach((single, i) => {
        const op = tracked.operations[i] ?? pushEmpty(tracked.operations);
        for (const error of single.errors ?? []) {
          const code = error.extensions?.code;
          op.errorCodes.push(typeof code === "string" ? code : "UNKNOWN");
        }
      });
    },
    onResponse({ request, response }) {
      const tracked = tracker.get(request);
      if (tracked === undefined) return;
      const base = {
        requestId: tracked.requestId,
        method: request.method,
        path: pathOf(request.url),
        status: response.status,
        durationMs: Math.round((now() - tracked.startedAt) * 10) / 10,
        upstreamCalls: tracked.upstreamCalls,
      };
      if (tracked.operations.length === 0) {
        // Not a GraphQL operation (GraphiQL page, CORS preflight, refused body...).
        logger.info({ ...base, operationName: null, operationType: null, errorCodes: [] } satisfies AccessLogLine, "http request");
        return;
      }
      for (const op of tracked.operations) {
        const line: AccessLogLine = { ...base, operationName: op.name, operationType: op.type, errorCodes: [...new Set(op.errorCodes)] };
        logger.info(line, "graphql operation");
      }
    },
  };
}

/** The path of an absolute request URL, without parsing all of it (one access line per request). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.search(/[?#]/);
  return end === -1 || end < start ? url.slice(start) : url.slice(start, end);
}

function pushEmpty(operations: OperationRecord[]): OperationRecord {
  const op: OperationRecord = { name: null, type: null, errorCodes: [] };
  operations.push(op);
  return op;
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
