/**
 * The HTTP face of the emulator: `GET|POST /` for the API (parameters in the query string, or
 * a form-urlencoded body) and `GET /downloads/<token>.xlsx|.pdf` for export files. One call goes:
 * count → injected faults → route → signature → quota → nonce → rules and operation → answer.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { API_VERSION } from "../upstream/types.js";
import type { Account } from "./account.js";
import { ApiError, throttlingError } from "./api-error.js";
import type { DataItems } from "./data-items.js";
import type { FaultInjector } from "./faults.js";
import type { NonceStore } from "./nonce-store.js";
import { OPERATIONS } from "./operations.js";
import type { CallQuota } from "./quota.js";
import { newRequestId, sendError, sendJson, sendMalformed } from "./responses.js";
import type { CallStats } from "./stats.js";
import { writeUsageReportPdf } from "./pdf.js";
import { exportFileType, taskStatus, type ExportFileType } from "./task.js";
import type { TaskRegistry } from "./task-registry.js";
import { verifySignature, type IncomingCall } from "./verify-signature.js";
import type { WorkbookShape } from "./workbook-shape.js";
import { writeExportWorkbook } from "./xlsx.js";

/** RPC calls are a few hundred bytes; anything this large is not a call. */
const MAX_BODY_BYTES = 64 * 1024;
const DOWNLOAD_PATH = /^\/downloads\/([0-9a-f]{32})\.(xlsx|pdf)$/;
const CONTENT_TYPES: Readonly<Record<ExportFileType, string>> = {
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pdf: "application/pdf",
};
/** Stats key for calls naming no action the emulator knows (keeps the stats map bounded). */
export const UNKNOWN_ACTION = "(unknown)";

export interface EmulatorCore {
  accounts: ReadonlyMap<string, Account>;
  registry: TaskRegistry;
  quota: CallQuota;
  nonces: NonceStore;
  faults: FaultInjector;
  stats: CallStats;
  now: () => number;
  taskSeconds: number;
  /** Rendered Describe* items (their DownloadUrls start with the emulator's URL). */
  items: DataItems;
  /** Layout of the usage-detail workbooks served. */
  workbookShape: WorkbookShape;
  onInternalError: (error: unknown) => void;
}

export function createRequestHandler(core: EmulatorCore): RequestListener {
  return (req, res) => {
    handle(core, req, res).catch((error: unknown) => {
      if (res.destroyed) return; // the client went away mid-call: nothing to answer, no bug
      core.onInternalError(error);
      if (res.headersSent) res.destroy();
      else sendError(res, new ApiError("InternalError"), newRequestId());
    });
  };
}

async function handle(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  const queryStart = url.indexOf("?");
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (path.startsWith("/downloads/")) return serveDownload(core, req, res, path);
  if (path !== "/") return sendError(res, new ApiError("InvalidAction.NotFound"), newRequestId());
  if (req.method !== "GET" && req.method !== "POST") {
    return sendError(res, new ApiError("UnsupportedHTTPMethod"), newRequestId());
  }
  const body = await readBody(req);
  if (!body) return sendError(res, new ApiError("RequestTooLarge"), newRequestId());

  const query = new Map(new URLSearchParams(queryStart === -1 ? "" : url.slice(queryStart + 1)));
  const form = isForm(req) ? new URLSearchParams(body.toString("utf8")) : [];
  const call: IncomingCall = { method: req.method, query, params: new Map([...query, ...form]), headers: req.headers, body };
  await answerCall(core, call, req, res);
}

async function answerCall(core: EmulatorCore, call: IncomingCall, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const action = headerOrParam(call, "x-acs-action", "Action");
  const operation = action === undefined ? undefined : OPERATIONS.get(action);
  core.stats.count(operation && action !== undefined ? action : UNKNOWN_ACTION);
  const requestId = newRequestId();

  if (core.faults.latencyMs > 0) await sleep(core.faults.latencyMs);
  const fault = core.faults.beforeCall();
  if (fault === "drop") {
    req.socket.destroy();
    return;
  }
  const now = core.now();
  if (fault === "serverError") {
    return sendError(res, new ApiError(core.faults.coin() < 0.5 ? "ServiceUnavailable" : "InternalError"), requestId);
  }
  if (fault === "throttle") return sendError(res, throttlingError(1000 - (now % 1000)), requestId);

  try {
    if (!operation) throw new ApiError("InvalidAction.NotFound");
    if (headerOrParam(call, "x-acs-version", "Version") !== API_VERSION) {
      throw new ApiError("InvalidVersion", `This API is version ${API_VERSION}.`);
    }
    const { account, nonce } = verifySignature(call, core.accounts, now);
    const waitMs = core.quota.take(account.accessKeyId, now);
    if (waitMs !== undefined) {
      core.stats.countThrottled();
      throw throttlingError(waitMs);
    }
    if (!core.nonces.claim(`${account.accessKeyId}\n${nonce}`, now)) throw new ApiError("SignatureNonceUsed");
    const answer = operation({
      account,
      params: call.params,
      now,
      requestId,
      registry: core.registry,
      taskSeconds: core.taskSeconds,
      items: core.items,
    });
    if (core.faults.corruptAnswer()) return sendMalformed(res, requestId, core.faults.coin());
    sendJson(res, 200, answer, requestId);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    sendError(res, error, requestId);
  }
}

async function serveDownload(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  req.resume();
  if (req.method !== "GET") return sendError(res, new ApiError("UnsupportedHTTPMethod"), newRequestId());
  const [, token, extension] = DOWNLOAD_PATH.exec(path) ?? [];
  const task = token === undefined ? undefined : core.registry.byToken(token);
  if (!task || taskStatus(task, core.now()) !== "success") return sendError(res, new ApiError("NoSuchKey"), newRequestId());
  const type = exportFileType(task.kind);
  if (extension !== type) return sendError(res, new ApiError("NoSuchKey"), newRequestId());
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[type],
    "content-disposition": `attachment; filename="${task.kind.toLowerCase()}-${task.taskId}.${type}"`,
  });
  if (type === "pdf") await writeUsageReportPdf(task, res);
  else await writeExportWorkbook(task, res, core.workbookShape);
}

/** V3 calls name action and version in signed headers, V1 calls in signed parameters. */
function headerOrParam(call: IncomingCall, headerName: string, paramName: string): string | undefined {
  if (call.headers.authorization === undefined) return call.params.get(paramName);
  const value = call.headers[headerName];
  return typeof value === "string" ? value : undefined;
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
}

/** The whole body, or undefined past MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}
