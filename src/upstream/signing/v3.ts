import { createHash, createHmac } from "node:crypto";
import { canonicalQueryString } from "./percent-encode.js";

export const V3_ALGORITHM = "ACS3-HMAC-SHA256";
export const EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface V3Request {
  method: string;
  /** The parameters, or their canonical query string when the caller already built it for the URL. */
  query: Readonly<Record<string, string>> | string;
  /** Header names in any case; `host`, `content-type` and `x-acs-*` are signed. */
  headers: Readonly<Record<string, string>>;
  payloadHash: string;
}

export interface V3Signed {
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  signedHeaders: string;
  signature: string;
  authorization: string;
}

function isSignedHeader(name: string): boolean {
  return name === "host" || name === "content-type" || name.startsWith("x-acs-");
}

/** The signed headers, lower-cased and sorted, with trimmed values. */
function canonicalHeaders(headers: Readonly<Record<string, string>>): Array<[string, string]> {
  const signed: Array<[string, string]> = [];
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (isSignedHeader(lower)) signed.push([lower, (headers[name] ?? "").trim()]);
  }
  return signed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** ACS3-HMAC-SHA256, exactly as `@alicloud/openapi-core` computes it. */
export function signRequestV3(request: V3Request, accessKeyId: string, secret: string): V3Signed {
  const headers = canonicalHeaders(request.headers);
  const query = typeof request.query === "string" ? request.query : canonicalQueryString(request.query);
  let canonicalRequest = `${request.method.toUpperCase()}\n/\n${query}\n`;
  let signedHeaders = "";
  for (const [name, value] of headers) {
    canonicalRequest += `${name}:${value}\n`;
    signedHeaders += signedHeaders === "" ? name : `;${name}`;
  }
  canonicalRequest += `\n${signedHeaders}\n${request.payloadHash}`;
  const hashedCanonicalRequest = sha256Hex(canonicalRequest);
  const stringToSign = `${V3_ALGORITHM}\n${hashedCanonicalRequest}`;
  const signature = createHmac("sha256", secret).update(stringToSign).digest("hex");
  return {
    canonicalRequest,
    hashedCanonicalRequest,
    signedHeaders,
    signature,
    authorization: `${V3_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`,
  };
}

export interface ParsedV3Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses an `Authorization: ACS3-HMAC-SHA256 …` header; undefined when incomplete. */
export function parseAuthorizationV3(header: string): ParsedV3Authorization | undefined {
  if (!header.startsWith(`${V3_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(V3_ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return { accessKeyId, signedHeaders: signedHeaders.split(";"), signature };
}
