import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createRequestSigner, formatAcsDate } from "../../src/upstream/request-signer.js";
import { Credentials } from "../../src/upstream/credentials.js";
import { percentEncode, signRequestV1, signRequestV3 } from "../../src/upstream/signing/index.js";

const vectors = z
  .object({
    v1: z.array(
      z.object({
        source: z.string(),
        method: z.string(),
        secret: z.string(),
        params: z.record(z.string(), z.string()),
        signature: z.string(),
      }),
    ),
    v3: z.array(
      z.object({
        source: z.string(),
        method: z.string(),
        query: z.record(z.string(), z.string()),
        headers: z.record(z.string(), z.string()),
        accessKeyId: z.string(),
        secret: z.string(),
        payloadHash: z.string(),
        authorization: z.string(),
      }),
    ),
  })
  .parse(JSON.parse(readFileSync(new URL("../fixtures/signatures.json", import.meta.url), "utf8")));

describe("signRequestV3 (ACS3-HMAC-SHA256)", () => {
  it.each(vectors.v3.map((v) => [v.source, v] as const))("matches vector: %s", (_source, v) => {
    const signed = signRequestV3(
      { method: v.method, query: v.query, headers: v.headers, payloadHash: v.payloadHash },
      v.accessKeyId,
      v.secret,
    );
    expect(signed.authorization).toBe(v.authorization);
  });

  it("reproduces the published hashed canonical request", () => {
    const v = vectors.v3[0]!;
    const signed = signRequestV3(
      { method: v.method, query: v.query, headers: v.headers, payloadHash: v.payloadHash },
      v.accessKeyId,
      v.secret,
    );
    expect(signed.hashedCanonicalRequest).toBe("7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
    expect(signed.signature).toBe("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
  });

  it("ignores header-name case and signs only host, content-type and x-acs-*", () => {
    const v = vectors.v3[0]!;
    const upper = Object.fromEntries(Object.entries(v.headers).map(([k, val]) => [k.toUpperCase(), ` ${val} `]));
    const signed = signRequestV3(
      { method: "post", query: v.query, headers: { ...upper, "user-agent": "x" }, payloadHash: v.payloadHash },
      v.accessKeyId,
      v.secret,
    );
    expect(signed.authorization).toBe(v.authorization);
  });
});

describe("signRequestV1 (HMAC-SHA1)", () => {
  it.each(vectors.v1.map((v) => [v.source, v] as const))("matches vector: %s", (_source, v) => {
    expect(signRequestV1(v.method, v.params, v.secret)).toBe(v.signature);
  });
});

describe("percentEncode", () => {
  it.each([
    ["a b", "a%20b"],
    ["*", "%2A"],
    ["~", "~"],
    ["-_.", "-_."],
    ["!'()", "%21%27%28%29"],
    ["a.example.com,b.example.com", "a.example.com%2Cb.example.com"],
    ["测试任务", "%E6%B5%8B%E8%AF%95%E4%BB%BB%E5%8A%A1"],
    ["+/=", "%2B%2F%3D"],
  ])("%s → %s", (input, expected) => {
    expect(percentEncode(input)).toBe(expected);
  });
});

describe("formatAcsDate", () => {
  it("formats UTC to the second, across second, day and year boundaries", () => {
    const direct = (epochMs: number): string => `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
    const instants = [0, 999, 1000, 1001, -1, -1000, -1001, 1_700_000_000_000, 1_700_000_000_999, 1_704_067_199_999, 1_704_067_200_000];
    // Twice over, in order and back: a once-per-second cache must never hand out a stale date.
    for (const epochMs of [...instants, ...instants.slice().reverse(), ...instants]) {
      expect(formatAcsDate(epochMs)).toBe(direct(epochMs));
    }
    expect(formatAcsDate(1_704_067_200_000)).toBe("2024-01-01T00:00:00Z");
    expect(() => formatAcsDate(Number.NaN)).toThrow(RangeError);
  });
});

describe("request signer date", () => {
  it("signs the current second, even when the clock moves back and forth across seconds", () => {
    let clock = 0;
    const credentials = new Credentials({ accessKeyId: "id", accessKeySecret: "secret" });
    const signers = (["v3", "v1"] as const).map((signatureVersion) =>
      createRequestSigner({ credentials, signatureVersion, host: "cdn.example", now: () => clock, nonce: () => "n" }),
    );
    const instants = [999, 1000, 1001, 999, -1, 1_704_067_199_999, 1_704_067_200_000, 1_704_067_199_999];
    for (const epochMs of instants) {
      clock = epochMs;
      const [v3, v1] = signers.map((signer) => signer.sign("DescribeUserUsageDataExportTask", { PageNumber: "1" }));
      expect(v3?.headers["x-acs-date"]).toBe(formatAcsDate(epochMs));
      expect(decodeURIComponent(/Timestamp=([^&]+)/.exec(v1?.path ?? "")?.[1] ?? "")).toBe(formatAcsDate(epochMs));
    }
  });
});
