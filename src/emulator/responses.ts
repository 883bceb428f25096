/** How the emulator writes answers: JSON bodies, the documented error body, and broken bodies for faults. */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { ApiError } from "./api-error.js";

const HOST_ID = "cdn.aliyuncs.com";
const JSON_TYPE = "application/json;charset=utf-8";

/** Upper-case UUID, like the upstream's RequestIds. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(res, status, JSON.stringify(body), JSON_TYPE, requestId, headers);
}

export function errorBody(error: ApiError, requestId: string): Record<string, string> {
  return {
    RequestId: requestId,
    HostId: HOST_ID,
    Code: error.code,
    Message: error.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Cdn&requestId=${requestId}`,
  };
}

export function sendError(res: ServerResponse, error: ApiError, requestId: string): void {
  sendJson(res, error.status, errorBody(error, requestId), requestId, error.headers);
}

/**
 * What a broken proxy or a half-written answer looks like: 200, but not the documented JSON.
 * `roll` in [0, 1) picks the variant: truncated JSON, an HTML page, or JSON of the wrong shape.
 */
export function sendMalformed(res: ServerResponse, requestId: string, roll: number): void {
  const variant = Math.floor(roll * 3);
  if (variant === 0) {
    send(res, 200, `{"RequestId":"${requestId}","UsageDataPerPage":{"PageNumber":1,"Data":{"DataItem":[{"TaskId":`, JSON_TYPE, requestId);
  } else if (variant === 1) {
    send(res, 200, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html;charset=utf-8", requestId);
  } else {
    send(res, 200, JSON.stringify([{ Unexpected: true }]), JSON_TYPE, requestId);
  }
}

function send(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "x-acs-request-id": requestId,
  });
  res.end(text);
}
