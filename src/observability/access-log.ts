/**
 * The access log: one line per GraphQL operation with request id, operation name and type,
 * status, duration, upstream call count and error codes. Never the query text, variables or
 * headers (they may hold inputs or keys).
 *
 * A query's line is written when its response is ready. A subscription's line is written when
 * its stream ends (completed, cancelled by the client, or cut on shutdown), so `durationMs` is
 * how long the stream ran and `errorCodes` holds the codes of every event it sent. Operations
 * that do not come through yoga's HTTP handling (graphql-ws) use `beginOperation`/`responded`.
 */
import { getOperationAST, type DocumentNode, type GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { OperationRecord, RequestTracker, ResponseFacts, TrackedRequest } from "./request-tracker.js";

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

interface ErrorsCarrier {
  errors?: readonly GraphQLError[] | undefined;
}

export class AccessLog {
  readonly #tracker: RequestTracker;
  readonly #now: () => number;
  readonly #logger: Logger;

  constructor(options: AccessLogOptions) {
    this.#tracker = options.tracker;
    this.#now = options.now;
    // An access line's keys are fixed (AccessLogLine): none can name a secret, so pino's key-path
    // redaction, whose wildcard paths cost ~200 µs a line (the largest single cost of a cached
    // query, bench case 3), is skipped for them. The value scrubber still runs on every line.
    this.#logger = options.logger.child({}, { redact: { paths: [] } });
  }

  /** The yoga plugin: records what each HTTP request carried and writes its lines. */
  plugin(): Plugin {
    const tracker = this.#tracker;
    const operationOf = (contextValue: unknown): { tracked: TrackedRequest; op: OperationRecord } | undefined => {
      const request = (contextValue as { request?: Request } | null)?.request;
      const tracked = request === undefined ? undefined : tracker.get(request);
      const op = tracked?.operations.at(-1);
      return tracked === undefined || op === undefined ? undefined : { tracked, op };
    };
    const name = (args: { document: unknown; operationName?: unknown }, op: OperationRecord): void => {
      // envelop types `document`/`operationName` loosely; they are graphql-js execute args.
      const operationName = args.operationName as string | null | undefined;
      const ast = getOperationAST(args.document as DocumentNode, operationName ?? undefined);
      op.name = ast?.name?.value ?? op.name;
      op.type = ast?.operation ?? op.type;
    };
    return {
      onParams({ request, params }) {
        tracker.get(request)?.operations.push({ name: params.operationName ?? null, type: null, errorCodes: [] });
      },
      onExecute({ args }) {
        const found = operationOf(args.contextValue);
        if (found !== undefined) name(args, found.op);
      },
      onSubscribe: ({ args }) => {
        const found = operationOf(args.contextValue);
        if (found === undefined) return;
        name(args, found.op);
        const { tracked, op } = found;
        let streaming = false;
        // Once, however the stream ends (completed, returned by the client, or failed).
        const end = (): void => {
          if (!streaming) return;
          streaming = false;
          tracked.openStreams--;
          this.#writeWhenDone(tracked);
        };
        return {
          onSubscribeResult: ({ result }) => {
            // A subscription refused before it streamed is answered (and logged) like a query.
            if (!isAsyncIterableValue(result)) return;
            streaming = true;
            tracked.openStreams++;
            return {
              onNext: ({ result: event }) => recordCodes(op, event.errors),
              onEnd: end,
            };
          },
          // The source failed mid-stream: the stream ends with that error.
          onSubscribeError: ({ error }) => {
            op.errorCodes.push(codeOf(error));
            end();
          },
        };
      },
      onResultProcess({ request, result }) {
        const tracked = tracker.get(request);
        if (tracked === undefined || isAsyncIterableValue(result)) return;
        const results: readonly ErrorsCarrier[] = Array.isArray(result) ? result : [result as ErrorsCarrier];
        results.forEach((single, i) => recordCodes(tracked.operations[i] ?? pushEmpty(tracked.operations), single.errors));
      },
      onResponse: ({ request, response }) => {
        this.responded(request, { method: request.method, path: pathOf(request.url), status: response.status });
      },
    };
  }

  /**
   * An operation that reached the schema some other way (graphql-ws): tracked like an HTTP
   * request, with the response facts known up front. Its line is written by `responded` or,
   * for a stream, when the stream ends.
   */
  beginOperation(request: Request, requestId: string, operationName: string | null): TrackedRequest {
    const tracked = this.#tracker.begin(request, requestId, this.#now());
    tracked.operations.push({ name: operationName, type: null, errorCodes: [] });
    return tracked;
  }

  /** Errors answered for the request's last operation without running it (refusals). */
  recordErrors(request: Request, errors: readonly GraphQLError[]): void {
    const op = this.#tracker.get(request)?.operations.at(-1);
    if (op !== undefined) recordCodes(op, errors);
  }

  /** The response is out: its lines are written now, or when its last stream ends. */
  responded(request: Request, facts: ResponseFacts): void {
    const tracked = this.#tracker.get(request);
    if (tracked === undefined) return;
    tracked.response = facts;
    this.#writeWhenDone(tracked);
  }

  #writeWhenDone(tracked: TrackedRequest): void {
    const facts = tracked.response;
    if (facts === null || tracked.openStreams > 0 || tracked.logged) return;
    tracked.logged = true;
    const base = {
      requestId: tracked.requestId,
      ...facts,
      durationMs: Math.round((this.#now() - tracked.startedAt) * 10) / 10,
      upstreamCalls: tracked.upstreamCalls,
    };
    if (tracked.operations.length === 0) {
      // Not a GraphQL operation (GraphiQL page, CORS preflight, refused body...).
      this.#logger.info({ ...base, operationName: null, operationType: null, errorCodes: [] } satisfies AccessLogLine, "http request");
      return;
    }
    for (const op of tracked.operations) {
      const line: AccessLogLine = { ...base, operationName: op.name, operationType: op.type, errorCodes: [...new Set(op.errorCodes)] };
      this.#logger.info(line, "graphql operation");
    }
  }
}

function recordCodes(op: OperationRecord, errors: readonly GraphQLError[] | undefined): void {
  for (const error of errors ?? []) op.errorCodes.push(codeOf(error));
}

function codeOf(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === "string" ? code : "UNKNOWN";
}

function isAsyncIterableValue(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The path of an absolute request URL, without parsing all of it (one access line per request). */
export function pathOf(url: string): string {
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
