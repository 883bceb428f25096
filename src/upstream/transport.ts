/**
 * One signed request → one parsed JSON answer, over a keep-alive undici pool for the endpoint's
 * origin. Each attempt has one deadline covering headers AND body; every response body is read
 * to the end or destroyed, so no socket is left stuck. Failures leave as the typed errors of
 * errors.ts, built from codes and upstream words only (never the signed request).
 */
import { Pool, type Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";
import {
  UpstreamError,
  UpstreamMalformedError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "./errors.js";
import type { SignedRequest } from "./request-signer.js";

export interface TransportOptions {
  /** Base URL; only its origin is used (RPC calls always go to `/`). */
  endpoint: string | URL;
  /** Per-attempt deadline for the whole exchange (connect, headers, body). */
  timeoutMs: number;
  /** Use this dispatcher instead of creating a pool (the caller then owns and closes it). */
  dispatcher?: Dispatcher;
  /** Keep-alive connections of the pool the transport creates. */
  connections?: number;
  /** Scrubs secrets out of upstream error messages (they can echo the string to sign). */
  redact?: (text: string) => string;
}

/** A 2xx answer whose body was valid JSON. */
export interface UpstreamReply {
  httpStatus: number;
  body: unknown;
}

export interface Transport {
  /** `host[:port]`, the Host header value the server will see. */
  readonly host: string;
  send(action: string, request: SignedRequest, signal?: AbortSignal): Promise<UpstreamReply>;
  close(): Promise<void>;
}

const DEFAULT_CONNECTIONS = 32;
const MAX_MESSAGE_CHARS = 500;
const TIMED_OUT = Symbol("upstream attempt deadline");
/** Error codes that mean "the deadline of undici itself fired". */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

export function createTransport(options: TransportOptions): Transport {
  const url = new URL(options.endpoint);
  const origin = url.origin;
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Pool(origin, {
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  const { timeoutMs } = options;
  const redact = options.redact ?? ((text: string) => text);

  async function send(action: string, request: SignedRequest, signal?: AbortSignal): Promise<UpstreamReply> {
    signal?.throwIfAborted();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(TIMED_OUT), timeoutMs);
    const onCallerAbort = (): void => deadline.abort(signal?.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    let body: Dispatcher.ResponseData["body"] | undefined;
    try {
      const response = await dispatcher.request({
        origin,
        path: request.path,
        method: request.method,
        headers: { ...request.headers, accept: "application/json", "user-agent": "cdn-export-gateway" },
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      body = response.body;
      const text = await response.body.text();
      body = undefined;
      return interpret(action, response.statusCode, response.headers, text, redact);
    } catch (error) {
      throw toUpstreamError(action, error, deadline.signal, signal, timeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
      // A body we stopped reading would pin its connection: destroy it (the socket is dropped).
      if (body !== undefined && !body.destroyed) body.destroy();
    }
  }

  return {
    host: url.host,
    send,
    close: async () => {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

function interpret(
  action: string,
  status: number,
  headers: IncomingHttpHeaders,
  text: string,
  redact: (text: string) => string,
): UpstreamReply {
  let body: unknown;
  let isJson = true;
  try {
    body = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (status >= 200 && status < 300) {
    if (!isJson) throw new UpstreamMalformedError(action, "(body)", "not valid JSON", status);
    return { httpStatus: status, body };
  }
  throw errorAnswer(action, status, headers, isJson ? body : undefined, redact);
}

/** An error status: the documented `{RequestId, HostId, Code, Message, Recommend}` body. */
function errorAnswer(
  action: string,
  status: number,
  headers: IncomingHttpHeaders,
  body: unknown,
  redact: (text: string) => string,
): UpstreamError {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const code = stringField(fields, "Code");
  const requestId = stringField(fields, "RequestId") ?? null;
  if (code?.includes("Throttling") || (code === undefined && status === 429)) {
    return new UpstreamThrottledError(action, code ?? "Throttling", requestId, status, retryAfterMs(headers));
  }
  const message = stringField(fields, "Message") ?? (body === undefined ? "error body is not JSON" : "");
  return new UpstreamRejectedError(
    action,
    redact(code ?? `HTTP_${status}`),
    redact(message.slice(0, MAX_MESSAGE_CHARS)),
    requestId === null ? null : redact(requestId),
    status,
  );
}

function stringField(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  return typeof value === "string" ? value : undefined;
}

/** `x-acs-retry-after`: milliseconds; anything unparseable is ignored. */
function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers["x-acs-retry-after"];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return raw !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function toUpstreamError(
  action: string,
  error: unknown,
  deadline: AbortSignal,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
): unknown {
  if (error instanceof UpstreamError) return error;
  if (deadline.aborted && deadline.reason === TIMED_OUT) return new UpstreamTimeoutError(action, timeoutMs);
  // The caller gave up: hand back its own reason, this is not an upstream failure.
  if (callerSignal?.aborted) return callerSignal.reason;
  const code = errorCode(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new UpstreamTimeoutError(action, timeoutMs);
  return new UpstreamUnavailableError(action, code ?? "request failed");
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string") return code;
  return cause === undefined ? undefined : errorCode(cause);
}
