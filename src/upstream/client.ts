/**
 * The signed CDN export client: each operation becomes string parameters, then
 * quota slot → signed request → transport → schema parse, repeated by the retry policy. Every
 * call is its own upstream call (sharing identical page reads is the page cache's job, in
 * src/reading). Everything it depends on comes in through `CdnClientOptions`.
 */
import { randomUUID } from "node:crypto";
import type { Dispatcher } from "undici";
import type { Credentials } from "./credentials.js";
import { UpstreamError, UpstreamMalformedError, UpstreamRejectedError, UpstreamThrottledError } from "./errors.js";
import { createUnlimitedQuota, type QuotaPermit, type UpstreamQuota } from "./quota/index.js";
import { createRequestSigner, type SignatureVersion } from "./request-signer.js";
import { parseCreatedTask, parseDeletedTask, parseTaskPage } from "./response-schemas.js";
import { createRetryPolicy, notify, type CallKind } from "./retry-policy.js";
import { createTransport } from "./transport.js";
import {
  ACTIONS,
  type CallOptions,
  type CallOutcome,
  type CdnExportApi,
  type CreateUsageDetailParams,
  type CreateUserUsageParams,
  type CreatedTask,
  type ExportKind,
  type PageRequest,
  type TaskPage,
  type UpstreamObserver,
} from "./types.js";

/** What an attempt's span is told before the attempt is sent. */
export interface AttemptFacts {
  action: string;
  attempt: number;
  quotaWaitMs: number;
  /** The endpoint's host (`cdn.aliyuncs.com`). */
  host: string;
}

/** What an attempt tells its span once the upstream answered. */
export interface AttemptSpan {
  /** The upstream answered with this HTTP status (before the body is parsed). */
  answered(httpStatus: number): void;
}

const untraced = <T>(_facts: AttemptFacts, send: (span: AttemptSpan) => Promise<T>): Promise<T> => send({ answered: () => undefined });

export interface CdnClientOptions {
  /** Base URL, e.g. `https://cdn.aliyuncs.com` or the emulator's loopback URL. */
  endpoint: string | URL;
  credentials: Credentials;
  /** Default `v3` (ACS3-HMAC-SHA256), as the official SDK. */
  signatureVersion?: SignatureVersion;
  /** Per-attempt deadline (connect, headers and body): CDN_TIMEOUT_MS. Default 5000. */
  timeoutMs?: number;
  /** Attempts in total for a retryable call. Default 3. */
  maxAttempts?: number;
  /** Client-side call quota. Default: none (unlimited). */
  quota?: UpstreamQuota;
  /**
   * Wraps each attempt once it has its quota slot (tracing's CLIENT span; app.ts passes it in).
   * Default: the attempt runs as it is.
   */
  traceAttempt?: <T>(facts: AttemptFacts, send: (span: AttemptSpan) => Promise<T>) => Promise<T>;
  /** How long each attempt waited for its quota slot, ms (tracing's page-read attribute). */
  onQuotaWait?: (waitedMs: number) => void;
  /** Use this undici dispatcher (caller closes it); otherwise the client owns a keep-alive pool. */
  dispatcher?: Dispatcher;
  /** Keep-alive connections of the client's own pool. Default 32. */
  connections?: number;
  /** Wall clock for signing, epoch ms. Default Date.now. */
  now?: () => number;
  /** Signature nonce generator. Default crypto.randomUUID. */
  nonce?: () => string;
  observer?: UpstreamObserver;
  /** Backoff: first step and longest step, ms. Defaults 100 and 2000. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Throttled answers asking to wait longer than this are not retried. Default 5000. */
  maxRetryAfterMs?: number;
}

export interface CdnClient extends CdnExportApi {
  /** Closes the client's own connection pool (not a dispatcher that was passed in). */
  close(): Promise<void>;
}

const MAX_PAGE_SIZE = 50;
const MAX_PAGE_NUMBER = 100_000;

export function createCdnClient(options: CdnClientOptions): CdnClient {
  const { credentials, observer } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const transport = createTransport({
    endpoint: options.endpoint,
    timeoutMs,
    redact: (text) => credentials.redact(text),
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
  const signer = createRequestSigner({
    credentials,
    signatureVersion: options.signatureVersion ?? "v3",
    host: transport.host,
    now: options.now ?? Date.now,
    nonce: options.nonce ?? randomUUID,
  });
  const retryPolicy = createRetryPolicy({
    maxAttempts: options.maxAttempts ?? 3,
    baseDelayMs: options.retryBaseDelayMs ?? 100,
    maxDelayMs: options.retryMaxDelayMs ?? 2000,
    ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
    ...(observer === undefined ? {} : { observer }),
  });
  const quota = options.quota ?? createUnlimitedQuota();
  const traceAttempt = options.traceAttempt ?? untraced;

  function report(action: string, attempt: number, startedAt: number, outcome: CallOutcome, httpStatus?: number): void {
    const durationMs = performance.now() - startedAt;
    notify(() =>
      observer?.onCall?.({ action, attempt, durationMs, outcome, ...(httpStatus === undefined ? {} : { httpStatus }) }),
    );
  }

  /** One attempt: a quota slot, a freshly signed request (new nonce and date), one parse. */
  async function attemptOnce<T>(
    action: string,
    params: Readonly<Record<string, string>>,
    parse: (body: unknown) => T,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    signal?.throwIfAborted();
    const queuedAt = performance.now();
    let permit: QuotaPermit;
    try {
      permit = await quota.acquire(action, { ...(observer === undefined ? {} : { observer }), ...(signal === undefined ? {} : { signal }) });
    } catch (error) {
      if (error instanceof UpstreamError) report(action, attempt, queuedAt, error.outcome);
      options.onQuotaWait?.(performance.now() - queuedAt);
      throw error;
    }
    const sentAt = performance.now();
    options.onQuotaWait?.(sentAt - queuedAt);
    return traceAttempt({ action, attempt, quotaWaitMs: sentAt - queuedAt, host: transport.host }, async (span) => {
      let httpStatus: number | undefined;
      try {
        const reply = await transport.send(action, signer.sign(action, params), signal);
        httpStatus = reply.httpStatus;
        span.answered(httpStatus);
        const result = parse(reply.body);
        report(action, attempt, sentAt, "ok", httpStatus);
        return result;
      } catch (error) {
        if (error instanceof UpstreamError) report(action, attempt, sentAt, error.outcome, statusOf(error) ?? httpStatus);
        throw error;
      } finally {
        // The upstream received the call somewhere before now: it counts until one window later.
        permit.release();
      }
    });
  }

  function call<T>(
    kind: CallKind,
    action: string,
    params: Readonly<Record<string, string>>,
    parse: (body: unknown) => T,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return retryPolicy.execute(kind, (attempt) => attemptOnce(action, params, parse, attempt, signal), signal);
  }

  return {
    createUsageDetailTask(params: CreateUsageDetailParams, callOptions?: CallOptions): Promise<CreatedTask> {
      const action = ACTIONS.USAGE_DETAIL.create;
      const query = definedOnly({
        Type: params.type,
        StartTime: params.startTime,
        EndTime: params.endTime,
        DomainNames: params.domainNames?.length ? params.domainNames.join(",") : undefined,
        Group: params.group,
        Language: params.language,
        TaskName: params.taskName,
      });
      return call("write", action, query, (body) => parseCreatedTask(action, body), callOptions?.signal);
    },

    createUserUsageTask(params: CreateUserUsageParams, callOptions?: CallOptions): Promise<CreatedTask> {
      const action = ACTIONS.USER_USAGE.create;
      const query = definedOnly({
        StartTime: params.startTime,
        EndTime: params.endTime,
        Language: params.language,
        TaskName: params.taskName,
      });
      return call("write", action, query, (body) => parseCreatedTask(action, body), callOptions?.signal);
    },

    describeTasks(kind: ExportKind, page: PageRequest, callOptions?: CallOptions): Promise<TaskPage> {
      const invalid = pageProblem(page);
      if (invalid) return Promise.reject(invalid);
      const action = ACTIONS[kind].describe;
      const query = { PageNumber: String(page.pageNumber), PageSize: String(page.pageSize) };
      return call("read", action, query, (body) => parseTaskPage(action, kind, body), callOptions?.signal);
    },

    deleteTask(kind: ExportKind, taskId: string, callOptions?: CallOptions): Promise<{ requestId: string }> {
      const action = ACTIONS[kind].delete;
      return call("write", action, { TaskId: taskId }, (body) => parseDeletedTask(action, body), callOptions?.signal);
    },

    close: () => transport.close(),
  };
}

function statusOf(error: UpstreamError): number | undefined {
  return error instanceof UpstreamRejectedError ||
    error instanceof UpstreamThrottledError ||
    error instanceof UpstreamMalformedError
    ? error.httpStatus
    : undefined;
}

function definedOnly(params: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) if (value !== undefined) out[name] = value;
  return out;
}

/** Programming errors, not upstream ones: the gateway validates user input before this. */
function pageProblem(page: PageRequest): RangeError | undefined {
  if (!Number.isInteger(page.pageSize) || page.pageSize < 1 || page.pageSize > MAX_PAGE_SIZE) {
    return new RangeError(`pageSize must be an integer in 1..${MAX_PAGE_SIZE}`);
  }
  if (!Number.isInteger(page.pageNumber) || page.pageNumber < 1 || page.pageNumber > MAX_PAGE_NUMBER) {
    return new RangeError(`pageNumber must be an integer in 1..${MAX_PAGE_NUMBER}`);
  }
  return undefined;
}
