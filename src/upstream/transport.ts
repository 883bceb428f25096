/**
 * One signed request → one parsed JSON answer, over a keep-alive undici pool for the endpoint's
 * origin. Each attempt has one deadline covering headers AND body; every response body is read
 * to the end or destroyed, so no socket is left stuck. Failures leave as the typed errors of
 * errors.ts, built from codes and upstream words only (never the signed request).
 */
import { Pool, type Dispatcher } from "undici";
import { isAscii } from "node:buffer";
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

  function send(action: string, request: SignedRequest, signal?: AbortSignal): Promise<UpstreamReply> {
    if (signal?.aborted) return Promise.reject(callerReason(signal));
    return new Promise<UpstreamReply>((resolve, reject) => {
      const timer = setTimeout(() => exchange.abort(new UpstreamTimeoutError(action, timeoutMs)), timeoutMs);
      const onCallerAbort = (): void => exchange.abort(callerReason(signal));
      const exchange = new Exchange((outcome) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onCallerAbort);
        if (outcome.ok) {
          try {
            resolve(interpret(action, outcome.status, outcome.headers, outcome.text, redact));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        } else {
          reject(outcome.aborted ? outcome.error : toUpstreamError(action, outcome.error, timeoutMs));
        }
      });
      signal?.addEventListener("abort", onCallerAbort, { once: true });
      try {
        dispatcher.dispatch(
          {
            origin,
            path: request.path,
            method: request.method,
            headers: { ...request.headers, accept: "application/json", "user-agent": "cdn-export-gateway" },
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          exchange,
        );
      } catch (error) {
        exchange.fail(error);
      }
    });
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

type ExchangeOutcome =
  | { ok: true; status: number; headers: IncomingHttpHeaders; text: string }
  | { ok: false; aborted: true; error: Error }
  | { ok: false; aborted: false; error: unknown };

/**
 * One request's undici dispatch handler: collects the answer's status, headers and body chunks
 * directly, with no body stream in between (the `request()` API wraps every body in a Readable,
 * a measurable share of a page read's CPU: bench case 2). Settles exactly once: with the whole
 * answer, with undici's error, or at once when aborted (deadline or caller); an abort also tells
 * undici to drop the socket, so no half-read body pins a connection.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #abortReason: Error | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  readonly #chunks: Buffer[] = [];
  #settled = false;

  constructor(private readonly settle: (outcome: ExchangeOutcome) => void) {}

  abort(reason: Error): void {
    if (this.#settled) return;
    this.#abortReason = reason;
    // Settle first: undici reports the abort back through onResponseError, synchronously.
    this.#finish({ ok: false, aborted: true, error: reason });
    this.#controller?.abort(reason);
  }

  fail(error: unknown): void {
    this.#finish({ ok: false, aborted: false, error });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    // A page usually arrives in one chunk: decode it as is rather than copying it first.
    const body = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    this.#finish({ ok: true, status: this.#status, headers: this.#headers, text: decodeUtf8(body) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  #finish(outcome: ExchangeOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.settle(outcome);
  }
}

/**
 * UTF-8 text of a body. A pure-ASCII body (English task names, error answers) reads the same
 * as Latin-1, which decodes much faster than UTF-8; other bodies are decoded as UTF-8.
 */
function decodeUtf8(body: Buffer): string {
  return isAscii(body) ? body.toString("latin1") : body.toString("utf8");
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string") return code;
  return cause === undefined ? undefined : errorCode(cause);
}
