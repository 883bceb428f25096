/**
 * Turns (action, string parameters) into a signed RPC request: `POST /?<query>` with an empty
 * body, signed with V3 (ACS3-HMAC-SHA256 headers) or V1 (HMAC-SHA1 query parameters).
 * The result holds the signature and any STS token: it goes to the transport and nowhere else.
 */
import { API_VERSION } from "./types.js";
import type { Credentials } from "./credentials.js";
import { EMPTY_BODY_SHA256, canonicalQueryString, signRequestV1, signRequestV3 } from "./signing/index.js";

export type SignatureVersion = "v3" | "v1";

export interface SignedRequest {
  method: "POST";
  /** `/?` + the percent-encoded, sorted query string. */
  path: string;
  headers: Record<string, string>;
}

export interface RequestSignerOptions {
  credentials: Credentials;
  signatureVersion: SignatureVersion;
  /** Value of the Host header the server will see (`host[:port]`); V3 signs it. */
  host: string;
  /** Wall clock, epoch milliseconds (x-acs-date / Timestamp). */
  now: () => number;
  /** A fresh unique value per call (x-acs-signature-nonce / SignatureNonce). */
  nonce: () => string;
}

export interface RequestSigner {
  sign(action: string, params: Readonly<Record<string, string>>): SignedRequest;
}

/** `yyyy-MM-ddTHH:mm:ssZ`: UTC without milliseconds, as both signatures require. */
export function formatAcsDate(epochMs: number): string {
  return `${new Date(Math.floor(epochMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export function createRequestSigner(options: RequestSignerOptions): RequestSigner {
  const { credentials, host, nonce } = options;
  const date = (): string => formatAcsDate(options.now());
  return options.signatureVersion === "v1"
    ? { sign: (action, params) => signV1(credentials, action, params, date, nonce) }
    : { sign: (action, params) => signV3(credentials, host, action, params, date, nonce) };
}

function signV3(
  credentials: Credentials,
  host: string,
  action: string,
  params: Readonly<Record<string, string>>,
  date: () => string,
  nonce: () => string,
): SignedRequest {
  const headers: Record<string, string> = {
    host,
    "x-acs-action": action,
    "x-acs-version": API_VERSION,
    "x-acs-date": date(),
    "x-acs-signature-nonce": nonce(),
    "x-acs-content-sha256": EMPTY_BODY_SHA256,
  };
  const token = credentials.securityToken;
  if (token !== undefined) headers["x-acs-security-token"] = token;
  // The server verifies against the query it receives: the URL carries exactly the signed string.
  const query = canonicalQueryString(params);
  const signed = signRequestV3({ method: "POST", query, headers, payloadHash: EMPTY_BODY_SHA256 }, credentials.accessKeyId, credentials.accessKeySecret);
  headers.authorization = signed.authorization;
  return { method: "POST", path: `/?${query}`, headers };
}

function signV1(
  credentials: Credentials,
  action: string,
  params: Readonly<Record<string, string>>,
  date: () => string,
  nonce: () => string,
): SignedRequest {
  const query: Record<string, string> = {
    ...params,
    Action: action,
    Format: "JSON",
    Version: API_VERSION,
    AccessKeyId: credentials.accessKeyId,
    SignatureMethod: "HMAC-SHA1",
    SignatureVersion: "1.0",
    SignatureNonce: nonce(),
    Timestamp: date(),
  };
  const token = credentials.securityToken;
  if (token !== undefined) query.SecurityToken = token;
  query.Signature = signRequestV1("POST", query, credentials.accessKeySecret);
  return { method: "POST", path: `/?${canonicalQueryString(query)}`, headers: {} };
}
