import { describe, expect, it } from "vitest";
import { secretForms } from "../../src/observability/secret-forms.js";
import { percentEncode } from "../../src/upstream/signing/index.js";

// Characters that encodeURIComponent and the signer's RFC 3986 encoding treat differently, and that base64 turns into + / =.
const SECRET = "CanarySecret-k9Q!w(7)*x'Lz~Pq3 é";

describe("secretForms", () => {
  it("holds the secret as is, JSON-escaped and in both URL encodings, the signer's included", () => {
    const forms = secretForms(SECRET);
    expect(forms).toContain(SECRET);
    expect(forms).toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(forms).toContain(encodeURIComponent(SECRET));
    expect(forms).toContain(percentEncode(SECRET));
    expect(percentEncode(SECRET)).not.toBe(encodeURIComponent(SECRET));
  });

  it("finds the secret base64-encoded inside a longer value at every byte alignment", () => {
    const forms = secretForms(SECRET);
    for (const prefix of ["", "a", "ab", "id:", "user-7:"]) {
      for (const encoding of ["base64", "base64url"] as const) {
        const encoded = Buffer.from(`${prefix}${SECRET}`).toString(encoding);
        expect(forms.some((form) => form.length >= 8 && encoded.includes(form)), `${encoding} after ${JSON.stringify(prefix)}`).toBe(true);
      }
    }
  });
});
