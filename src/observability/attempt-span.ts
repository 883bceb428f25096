/**
 * One CLIENT span per upstream attempt (design.md "Tracing: OpenTelemetry"): `cdn <Action>` with
 * `cdn.action`, `cdn.attempt` (1, 2, … as the retry policy counts), `cdn.quota_wait_ms` (how long
 * it waited for a quota slot before it was sent), `http.response.status_code`, `cdn.request_id`
 * (the RequestId to quote to Alibaba support) and, when it failed, `error.type`: the upstream's
 * code (`Throttling.User`, `SignatureDoesNotMatch`) or the gateway's (`UPSTREAM_TIMEOUT`).
 * The span starts when the slot is granted, so its duration is the upstream's. Nothing of the
 * signed request (query, headers, signature) is recorded: only the endpoint's host.
 */
import { SpanKind, tracingActive, withSpan } from "./spans.js";
import type { AttemptFacts, AttemptSpan } from "../upstream/client.js";
import { UpstreamMalformedError, UpstreamRejectedError, UpstreamThrottledError } from "../upstream/errors.js";

const UNTRACED: AttemptSpan = { answered: () => undefined };

export function traceAttempt<T>(facts: AttemptFacts, send: (span: AttemptSpan) => Promise<T>): Promise<T> {
  if (!tracingActive()) return send(UNTRACED);
  const attributes = {
    "cdn.action": facts.action,
    "cdn.attempt": facts.attempt,
    "cdn.quota_wait_ms": Math.round(facts.quotaWaitMs),
    "server.address": facts.host,
  };
  return withSpan(`cdn ${facts.action}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    if (span === undefined) return send(UNTRACED);
    try {
      const result = await send({ answered: (httpStatus) => span.setAttribute("http.response.status_code", httpStatus) });
      const requestId = requestIdOf(result);
      if (requestId !== null) span.setAttribute("cdn.request_id", requestId);
      return result;
    } catch (error) {
      // withSpan records error.type and the status; the answer's facts are added here.
      if (error instanceof UpstreamRejectedError || error instanceof UpstreamThrottledError || error instanceof UpstreamMalformedError) {
        if (error.httpStatus !== undefined) span.setAttribute("http.response.status_code", error.httpStatus);
      }
      if ((error instanceof UpstreamRejectedError || error instanceof UpstreamThrottledError) && error.requestId !== null) {
        span.setAttribute("cdn.request_id", error.requestId);
      }
      if (error instanceof UpstreamThrottledError && error.retryAfterMs !== undefined) span.setAttribute("cdn.retry_after_ms", error.retryAfterMs);
      throw error;
    }
  });
}

/** Every parsed answer (TaskPage, CreatedTask, the delete's) carries the upstream's RequestId. */
function requestIdOf(result: unknown): string | null {
  if (typeof result !== "object" || result === null || !("requestId" in result)) return null;
  return typeof result.requestId === "string" ? result.requestId : null;
}
