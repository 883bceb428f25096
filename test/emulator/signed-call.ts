/** Test helper: raw V3 / V1 calls to the emulator, signed with the project's signing module. */
import { randomUUID } from "node:crypto";
import { API_VERSION } from "../../src/upstream/types.js";
import { sha256Hex, signRequestV1, signRequestV3 } from "../../src/upstream/signing/index.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { formatIsoSeconds } from "../../src/emulator/time.js";

/** What a call needs to know about the emulator it calls. */
export type Target = Pick<RunningEmulator, "url" | "accessKeyId" | "accessKeySecret">;

export interface CallOptions {
  method?: "GET" | "POST";
  accessKeyId?: string;
  secret?: string;
  securityToken?: string;
  /** Signing time (epoch ms); default now. */
  time?: number;
  nonce?: string;
  version?: string;
  /** Signed x-acs-content-sha256 (default: the real hash of the body). */
  contentSha256?: string;
  /** Form-urlencoded body parameters (sent with content-type). */
  form?: Record<string, string>;
  /** Change the request after signing (V3 headers). */
  tamperHeaders?: (headers: Record<string, string>) => void;
  /** Change the query after signing. */
  tamperQuery?: (query: Record<string, string>) => void;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function send(emulator: Target, method: string, query: Record<string, string>, headers: Record<string, string>, body: string | undefined): Promise<CallResult> {
  const response = await fetch(`${emulator.url}/?${new URLSearchParams(query).toString()}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parse(text), text };
}

export async function callV3(
  emulator: Target,
  action: string,
  params: Record<string, string> = {},
  options: CallOptions = {},
): Promise<CallResult> {
  const method = options.method ?? "POST";
  const host = new URL(emulator.url).host;
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = {
    host,
    "x-acs-action": action,
    "x-acs-version": options.version ?? API_VERSION,
    "x-acs-date": formatIsoSeconds(options.time ?? Date.now()),
    "x-acs-signature-nonce": options.nonce ?? randomUUID(),
    "x-acs-content-sha256": options.contentSha256 ?? sha256Hex(body ?? ""),
  };
  if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  if (options.securityToken !== undefined) headers["x-acs-security-token"] = options.securityToken;
  const query = { ...params };
  const signed = signRequestV3(
    { method, query, headers, payloadHash: headers["x-acs-content-sha256"]! },
    options.accessKeyId ?? emulator.accessKeyId,
    options.secret ?? emulator.accessKeySecret,
  );
  headers.authorization = signed.authorization;
  options.tamperHeaders?.(headers);
  options.tamperQuery?.(query);
  const { host: _host, ...sendHeaders } = headers; // fetch sets Host itself (the same value)
  return send(emulator, method, query, sendHeaders, body);
}

export async function callV1(
  emulator: Target,
  action: string,
  params: Record<string, string> = {},
  options: CallOptions = {},
): Promise<CallResult> {
  const method = options.method ?? "POST";
  const query: Record<string, string> = {
    Action: action,
    Format: "JSON",
    Version: options.version ?? API_VERSION,
    AccessKeyId: options.accessKeyId ?? emulator.accessKeyId,
    SignatureMethod: "HMAC-SHA1",
    SignatureVersion: "1.0",
    SignatureNonce: options.nonce ?? randomUUID(),
    Timestamp: formatIsoSeconds(options.time ?? Date.now()),
    ...params,
  };
  if (options.securityToken !== undefined) query.SecurityToken = options.securityToken;
  query.Signature = signRequestV1(method, { ...query, ...options.form }, options.secret ?? emulator.accessKeySecret);
  options.tamperQuery?.(query);
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" };
  return send(emulator, method, query, headers, body);
}

/** A valid time range of `hours` ending `endHoursAgo` hours before `now`, whole hours. */
export function hoursRange(now: number, hours: number, endHoursAgo = 1): { StartTime: string; EndTime: string } {
  const end = Math.floor(now / 3_600_000) * 3_600_000 - endHoursAgo * 3_600_000;
  return { StartTime: formatIsoSeconds(end - hours * 3_600_000), EndTime: formatIsoSeconds(end) };
}
