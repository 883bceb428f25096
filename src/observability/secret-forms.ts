/**
 * The shapes a secret can take on its way into a log line: as is, JSON-escaped, URL-encoded
 * (encodeURIComponent and the signer's RFC 3986 form), and base64 / base64url — for base64 the
 * part that is the same wherever the secret sits inside a longer encoded string (e.g. Basic
 * auth `id:secret`), at each of the three byte alignments.
 */
import { percentEncode } from "../upstream/signing/percent-encode.js";

/** Shorter base64 fragments could match unrelated text. */
const MIN_FRAGMENT = 8;

export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), percentEncode(secret)]);
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
