/**
 * RFC 3986 percent-encoding as Alibaba Cloud signs it: unreserved characters
 * (A–Z a–z 0–9 - _ . ~) stay, everything else is UTF-8 percent-encoded in upper-case hex.
 * encodeURIComponent leaves `! ' ( ) *` alone, so those are encoded by hand.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parameters sorted by name (code-unit order), each `k=v` percent-encoded, joined by `&`. */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? "")}`)
    .join("&");
}
