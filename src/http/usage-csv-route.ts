/**
 * `GET /exports/usage-detail/<taskId>.csv` (design.md "Export contents"): a finished usage-detail
 * export's usage as CSV for spreadsheets and scripts, streamed from the parsed export.
 *
 * A yoga route (this plugin answers in `onRequest`), so it shares what /graphql has: the
 * request id, the access log, metrics, CORS, and the same authentication (one check per
 * request, `RequestAuthentication`) with the `tasks` scope, export:read.
 *
 * Query: `domain`, `from`, `to`, `interval`, `timeZone` as `usage` takes them, and `summed=true`
 * for one line per bucket summed over all domains (`domain` empty). Without `domain` or
 * `summed`, one line per domain and bucket. Errors are JSON `{ errors: [{ message, extensions }] }`
 * with the catalogue's code and its route status (ROUTE_HTTP_STATUS): 404 NOT_FOUND, 409
 * EXPORT_NOT_READY, 400 BAD_USER_INPUT, 401/403, 502 EXPORT_UNAVAILABLE, 413 EXPORT_TOO_LARGE,
 * 422 EXPORT_FORMAT_UNRECOGNIZED, 502/503/504 for the upstream.
 *
 * The body is written bucket by bucket into a small buffer that waits for the client
 * (exports/usage-csv.ts): memory does not grow with the file.
 */
import { PassThrough } from "node:stream";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { AuthPrincipal } from "../auth/principal.js";
import type { RequestAuthentication } from "../auth/plugin.js";
import type { RequestContext } from "../context.js";
import { badRequest, badUserInput, ErrorCode, errorFromData, gatewayError, ROUTE_HTTP_STATUS, unexpectedErrorData, isErrorCode } from "../errors.js";
import { writeUsageCsv } from "../exports/usage-csv.js";
import { requireParsedExport } from "../resolvers/export-files.js";
import { lookupTask } from "../resolvers/task-lookup.js";
import { downloadFileName } from "../resolvers/task-download.js";
import { toGatewayError } from "../resolvers/upstream-errors.js";
import { checkDomain, usageQueryOf } from "../resolvers/usage-query.js";
import { authError, hasScope } from "../schema/auth.js";

export const USAGE_CSV_PATH = /^\/exports\/usage-detail\/([A-Za-z0-9._-]{1,64})\.csv$/;
const SCOPE = "export:read";
/** What the CSV buffers ahead of a slow client before it waits. */
const BUFFER_BYTES = 256 * 1024;

export interface UsageCsvRouteOptions {
  authenticate: RequestAuthentication;
  /** The request's GraphQL context (page reads, upstream call counting), for the checked caller. */
  contextFor: (request: Request, principal: AuthPrincipal) => RequestContext;
  /** A failure nobody planned for (answered 500 "Unexpected error."). */
  onUnexpectedError?: (error: unknown) => void;
}

export function useUsageCsvRoute(options: UsageCsvRouteOptions): Plugin {
  return {
    async onRequest(payload) {
      const { request, url, fetchAPI } = payload;
      const match = USAGE_CSV_PATH.exec(url.pathname);
      if (match === null) return;
      const taskId = match[1] ?? "";
      try {
        if (request.method !== "GET" && request.method !== "HEAD") throw badRequest("Use GET (or HEAD) for the CSV download.");
        payload.endResponse(await answer(request, url.searchParams, taskId, options, fetchAPI.Response));
      } catch (error) {
        payload.endResponse(errorResponse(failureOf(error, options), fetchAPI.Response, request.method));
      }
    },
  };
}

async function answer(request: Request, params: URLSearchParams, taskId: string, options: UsageCsvRouteOptions, ResponseClass: typeof Response): Promise<Response> {
  const auth = await options.authenticate(request);
  if (!auth.ok) throw auth.error;
  if (!hasScope(auth.principal, SCOPE)) throw authError(auth.principal, [SCOPE]);
  const query = usageQueryOf({ domain: param(params, "domain"), from: param(params, "from"), to: param(params, "to"), interval: param(params, "interval"), timeZone: param(params, "timeZone") });
  const summed = summedParam(param(params, "summed"));
  if (summed && query.domain !== null) throw badUserInput("summed", "summed-or-domain", "give domain or summed=true, not both");

  const ctx = options.contextFor(request, auth.principal);
  const task = await lookupTask(ctx, { kind: "USAGE_DETAIL", taskId });
  if (task === null) throw gatewayError(ErrorCode.NOT_FOUND, `No usage-detail export task ${taskId} is listed`, { kind: "USAGE_DETAIL", taskId });
  const parsed = await requireParsedExport(ctx, task);
  checkDomain(parsed.usage, query);

  const headers = {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${downloadFileName(task).replace(/\.xlsx$/, ".csv")}"`,
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
  };
  if (request.method === "HEAD") return new ResponseClass(null, { status: 200, headers });
  const body = new PassThrough({ highWaterMark: BUFFER_BYTES });
  writeUsageCsv(parsed.usage, { ...query, domains: summed ? "summed" : "each" }, body, request.signal).then(
    () => body.end(),
    (error: unknown) => body.destroy(error instanceof Error ? error : new Error("CSV writing failed")),
  );
  // yoga's fetch ponyfill takes a node stream as a body and pipes it to the socket.
  return new ResponseClass(body as unknown as ReadableStream<Uint8Array>, { status: 200, headers });
}

function param(params: URLSearchParams, name: string): string | null {
  const value = params.get(name);
  return value === null || value === "" ? null : value;
}

function summedParam(value: string | null): boolean {
  if (value === null || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw badUserInput("summed", "boolean", "summed must be true or false");
}

/** Any failure as the catalogue's GraphQL error; unexpected ones are reported and masked. */
function failureOf(error: unknown, options: UsageCsvRouteOptions): GraphQLError {
  const known = toGatewayError(error);
  if (known instanceof GraphQLError && isErrorCode(known.extensions["code"])) return known;
  options.onUnexpectedError?.(error);
  return errorFromData(unexpectedErrorData());
}

function errorResponse(error: GraphQLError, ResponseClass: typeof Response, method: string): Response {
  const code = error.extensions["code"];
  const status = isErrorCode(code) ? ROUTE_HTTP_STATUS[code] : 500;
  const { http: _http, ...extensions } = error.extensions;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
  if (code === ErrorCode.UNAUTHENTICATED) headers["www-authenticate"] = "Bearer";
  if (method === "GET" || method === "HEAD") {
    const retryAfterMs = extensions["retryAfterMs"];
    if (typeof retryAfterMs === "number") headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  } else headers["allow"] = "GET, HEAD";
  const body = method === "HEAD" ? null : JSON.stringify({ errors: [{ message: error.message, extensions }] });
  return new ResponseClass(body, { status: method === "GET" || method === "HEAD" ? status : 405, headers });
}
