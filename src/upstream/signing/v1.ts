import { createHmac } from "node:crypto";
import { canonicalQueryString, percentEncode } from "./percent-encode.js";

/** HMAC-SHA1, SignatureVersion 1.0: the older RPC signature (aliyun CLI, old SDKs). */
export function stringToSignV1(method: string, params: Readonly<Record<string, string>>): string {
  const { Signature: _ignored, ...rest } = params;
  return `${method.toUpperCase()}&${percentEncode("/")}&${percentEncode(canonicalQueryString(rest))}`;
}

export function signRequestV1(
  method: string,
  params: Readonly<Record<string, string>>,
  secret: string,
): string {
  return createHmac("sha1", `${secret}&`).update(stringToSignV1(method, params)).digest("base64");
}
