/**
 * Authenticates a call the way the upstream does, with the project's signing module doing the
 * arithmetic: V3 (`Authorization: ACS3-HMAC-SHA256 …`, signed headers, body hash) or V1
 * (`Signature` HMAC-SHA1 over the parameters), then the 15-minute timestamp window and the
 * STS token rule. The nonce is returned, not claimed: the caller claims it after the quota,
 * so a throttled call can be retried as is. Error details never echo a secret or a signature.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { parseAuthorizationV3, sha256Hex, signRequestV1, signRequestV3 } from "../upstream/signing/index.js";
import type { Account } from "./account.js";
import { ApiError } from "./api-error.js";
import type { Params } from "./rules.js";
import { MINUTE_MS, parseIsoSeconds } from "./time.js";

export const TIMESTAMP_WINDOW_MS = 15 * MINUTE_MS;
const MAX_NONCE_LENGTH = 128;

/** Headers every V3 call must sign (content-type too, when a body is sent). */
const REQUIRED_V3_HEADERS = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"];
const REQUIRED_V1_PARAMS = ["AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"];

export interface IncomingCall {
  method: string;
  /** Query-string parameters only (V3 signs these). */
  query: Params;
  /** Query and form-body parameters together (V1 signs these; operations read them). */
  params: Params;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Caller {
  account: Account;
  nonce: string;
}

export function verifySignature(call: IncomingCall, accounts: ReadonlyMap<string, Account>, now: number): Caller {
  const authorization = header(call.headers, "authorization");
  if (authorization !== undefined) return verifyV3(call, authorization, accounts, now);
  if (call.params.has("Signature")) return verifyV1(call, accounts, now);
  throw new ApiError("IncompleteSignature", "Send an Authorization header (V3) or a Signature parameter (V1).");
}

function verifyV3(call: IncomingCall, authorization: string, accounts: ReadonlyMap<string, Account>, now: number): Caller {
  const parsed = parseAuthorizationV3(authorization);
  if (!parsed) {
    throw new ApiError("IncompleteSignature", "Expected Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=….");
  }
  const required = [...REQUIRED_V3_HEADERS];
  if (call.body.length > 0) required.push("content-type");
  if (header(call.headers, "x-acs-security-token") !== undefined) required.push("x-acs-security-token");
  for (const name of required) {
    if (!parsed.signedHeaders.includes(name)) throw new ApiError("IncompleteSignature", `SignedHeaders must include ${name}.`);
  }
  const signed: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const value = header(call.headers, name);
    if (value === undefined) throw new ApiError("IncompleteSignature", `Signed header ${name} is missing.`);
    signed[name] = value;
  }
  const account = findAccount(accounts, parsed.accessKeyId);
  checkTimestamp(signed["x-acs-date"] ?? "", now);
  const payloadHash = signed["x-acs-content-sha256"] ?? "";
  if (payloadHash.toLowerCase() !== sha256Hex(call.body)) {
    throw new ApiError("SignatureDoesNotMatch", "x-acs-content-sha256 is not the SHA-256 of the request body.");
  }
  const expected = signRequestV3(
    { method: call.method, query: Object.fromEntries(call.query), headers: signed, payloadHash },
    account.accessKeyId,
    account.accessKeySecret,
  );
  if (!safeEqual(parsed.signature, expected.signature)) {
    // The string to sign is a hash of the canonical request: safe to show, and what debugging needs.
    throw new ApiError("SignatureDoesNotMatch", `Server string to sign is: ACS3-HMAC-SHA256\n${expected.hashedCanonicalRequest}`);
  }
  checkSecurityToken(account, header(call.headers, "x-acs-security-token"));
  return { account, nonce: checkNonce(signed["x-acs-signature-nonce"] ?? "") };
}

function verifyV1(call: IncomingCall, accounts: ReadonlyMap<string, Account>, now: number): Caller {
  for (const name of REQUIRED_V1_PARAMS) {
    if (!call.params.get(name)) throw new ApiError("IncompleteSignature", `Parameter ${name} is missing.`);
  }
  if (call.params.get("SignatureMethod") !== "HMAC-SHA1") throw new ApiError("InvalidSignatureMethod", "Use HMAC-SHA1.");
  if (call.params.get("SignatureVersion") !== "1.0") throw new ApiError("IncompleteSignature", "SignatureVersion must be 1.0.");
  const account = findAccount(accounts, call.params.get("AccessKeyId") ?? "");
  checkTimestamp(call.params.get("Timestamp") ?? "", now);
  const expected = signRequestV1(call.method, Object.fromEntries(call.params), account.accessKeySecret);
  // No string to sign in the message: with STS it would carry the SecurityToken.
  if (!safeEqual(call.params.get("Signature") ?? "", expected)) throw new ApiError("SignatureDoesNotMatch");
  checkSecurityToken(account, call.params.get("SecurityToken"));
  return { account, nonce: checkNonce(call.params.get("SignatureNonce") ?? "") };
}

function findAccount(accounts: ReadonlyMap<string, Account>, accessKeyId: string): Account {
  const account = accounts.get(accessKeyId);
  if (!account) throw new ApiError("InvalidAccessKeyId.NotFound");
  return account;
}

function checkTimestamp(text: string, now: number): void {
  const time = parseIsoSeconds(text);
  if (time === undefined) throw new ApiError("InvalidTimeStamp.Format", "Use yyyy-MM-ddTHH:mm:ssZ (UTC).");
  if (Math.abs(now - time) > TIMESTAMP_WINDOW_MS) {
    throw new ApiError("InvalidTimeStamp.Expired", "The request time must be within 15 minutes of the server time.");
  }
}

function checkNonce(nonce: string): string {
  if (nonce.length > MAX_NONCE_LENGTH) throw new ApiError("IncompleteSignature", "The signature nonce is too long.");
  return nonce;
}

/**
 * The emulator's STS rule: an account started with a token requires exactly that token; an
 * account without one (a permanent AccessKey) refuses any token, as the real service refuses
 * a token that does not belong to the AccessKey.
 */
function checkSecurityToken(account: Account, sent: string | undefined): void {
  const token = sent === "" ? undefined : sent;
  if (account.securityToken === undefined) {
    if (token !== undefined) throw new ApiError("InvalidSecurityToken.MismatchWithAccessKey");
    return;
  }
  if (token === undefined) throw new ApiError("MissingSecurityToken");
  if (!safeEqual(token, account.securityToken)) throw new ApiError("InvalidSecurityToken.MismatchWithAccessKey");
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === "string" ? value : undefined;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
