/**
 * RFC 3986 percent-encoding as Alibaba Cloud signs it: unreserved characters
 * (A–Z a–z 0–9 - _ . ~) stay, everything else is UTF-8 percent-encoded in upper-case hex.
 * encodeURIComponent leaves `! ' ( ) *` alone, so those are encoded by hand.
 */
export function percentEncode(value: string): string {
  // Most names and values (actions, page numbers, dates) need no encoding: skip the two passes.
  if (UNRESERVED_ONLY.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

/** Parameters sorted by name (code-unit order), each `k=v` percent-encoded, joined by `&`. */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  const names = Object.keys(params).sort();
  let out = "";
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i] as string;
    out += `${i === 0 ? "" : "&"}${percentEncode(name)}=${percentEncode(params[name] ?? "")}`;
  }
  return out;
}
