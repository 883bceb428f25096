/**
 * One signed request → one parsed JSON answer, through undici's `request` on a dispatcher (by
 * default a keep-alive pool for the endpoint's origin; tests pass their own). Each attempt has
 * one deadline, CDN_TIMEOUT_MS, covering connect, headers and body: when it passes the request
 * is aborted, which makes undici drop the socket, so a half-read answer never pins a connection.
 * Failures leave as the typed errors of errors.ts, built from codes and the upstream's words
 * only (never the signed request).
 */
import { Pool, request, type Dispatcher } from "undici";
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

/** The answer as it came: status, headers and the whole body as text. */
interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const DEFAULT_CONNECTIONS = 32;
const MAX_MESSAGE_CHARS = 500;
/** A dispatcher passed in may have deadlines of its own; when one of them fires it is a timeout too. */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

export function createTransport(options: TransportOptions): Transport {
  const url = new URL(options.endpoint);
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher = options.dispatcher ?? new Pool(url.origin, { connections: options.connections ?? DEFAULT_CONNECTIONS });
  const { timeoutMs } = options;
  const redact = options.redact ?? ((text: string) => text);

  /** One attempt within its deadline; the caller's own abort comes back as the caller's reason. */
  async function exchange(action: string, signed: SignedRequest, signal: AbortSignal | undefined): Promise<RawAnswer> {
    if (signal?.aborted) throw callerReason(signal);
    const attempt = new AbortController();
    let abortedWith: Error | undefined;
    const abort = (reason: Error): void => {
      abortedWith ??= reason;
      attempt.abort(reason);
    };
    const timer = setTimeout(() => abort(new UpstreamTimeoutError(action, timeoutMs)), timeoutMs);
    const onCallerAbort = (): void => abort(callerReason(signal));
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    try {
      const response = await request(`${url.origin}${signed.path}`, {
        dispatcher,
        method: signed.method,
        headers: { ...signed.headers, accept: "application/json", "user-agent": "cdn-export-gateway" },
        signal: attempt.signal,
      });
      // Read to the end, error answers included, so the connection goes back to the pool clean.
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      throw abortedWith ?? toUpstreamError(action, error, timeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  return {
    host: url.host,
    send: async (action, signed, signal) => interpret(action, await exchange(action, signed, signal), redact),
    close: async () => {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

function interpret(action: string, answer: RawAnswer, redact: (text: string) => string): UpstreamReply {
  const { status } = answer;
  let body: unknown;
  let isJson = true;
  try {
    body = JSON.parse(answer.text);
  } catch {
    isJson = false;
  }
  if (status >= 200 && status < 300) {
    if (!isJson) throw new UpstreamMalformedError(action, "(body)", "not valid JSON", status);
    return { httpStatus: status, body };
  }
  throw errorAnswer(action, status, answer.headers, isJson ? body : undefined, redact);
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

/** No whole answer arrived: the connection failed, dropped, or a dispatcher deadline passed. */
function toUpstreamError(action: string, error: unknown, timeoutMs: number): Error {
  if (error instanceof UpstreamError) return error;
  const code = errorCode(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new UpstreamTimeoutError(action, timeoutMs);
  return new UpstreamUnavailableError(action, code ?? "request failed");
}

/** The caller gave up: hand back its own reason (this is not an upstream failure). */
function callerReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}

/** Node and undici put the useful code (`ECONNREFUSED`, `UND_ERR_SOCKET`) on the error or its cause. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string") return code;
  return cause === undefined ? undefined : errorCode(cause);
}
