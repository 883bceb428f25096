/**
 * The shapes a secret can take on its way into a log line: as is, JSON-escaped, URL-encoded
 * (encodeURIComponent and the strict RFC 3986 form Alibaba Cloud signs, which also encodes
 * `! ' ( ) *`), and base64 / base64url — for base64 the part that is the same wherever the
 * secret sits inside a longer encoded string (e.g. Basic auth `id:secret`), at each of the
 * three byte alignments.
 */

/** Shorter base64 fragments could match unrelated text. */
const MIN_FRAGMENT = 8;

export function secretForms(secret: string): string[] {
  const uriEncoded = encodeURIComponent(secret);
  const rfc3986 = uriEncoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), uriEncoded, rfc3986]);
  const bytes = Buffer.from(secret, "utf8");
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    // Characters that encode secret bytes only: skip the group holding the prefix, drop the partial tail.
    const end = 4 * Math.floor(padded.length / 3);
    const start = offset === 0 ? 0 : 4;
    for (const encoding of ["base64", "base64url"] as const) {
      const fragment = padded.toString(encoding).slice(start, end);
      if (fragment.length >= MIN_FRAGMENT) forms.add(fragment);
    }
  }
  return [...forms];
}
