import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../../src/upstream/credentials.js";
import { UpstreamError } from "../../src/upstream/errors.js";
import { createMemoryQuota } from "../../src/upstream/quota/index.js";
import type { SignatureVersion } from "../../src/upstream/request-signer.js";
import { percentEncode } from "../../src/upstream/signing/index.js";
import type { UpstreamObserver } from "../../src/upstream/types.js";
import {
  json,
  startUpstreamTestServer,
  upstreamError,
  type Handler,
  type TestCredential,
  type UpstreamTestServer,
} from "../helpers/upstream-test-server.js";
import { clientFor, pageBody } from "./fixtures.js";

const CANARY: TestCredential = {
  accessKeyId: "canary-ak-id",
  accessKeySecret: "CANARY-SECRET-x9Z/secret+value=",
  securityToken: "CANARY-TOKEN-q7W/token+value=",
};

/** Every spelling under which a secret could travel. */
function spellings(value: string): string[] {
  const once = percentEncode(value);
  return [value, once, percentEncode(once), encodeURIComponent(value), "CANARY-SECRET", "CANARY-TOKEN"];
}
const FORBIDDEN = [...spellings(CANARY.accessKeySecret), ...spellings(CANARY.securityToken ?? "")];

function renderings(value: unknown): string[] {
  const out = [JSON.stringify(value) ?? "", inspect(value, { depth: 10, showHidden: true }), String(value)];
  if (value instanceof Error) out.push(value.message, value.stack ?? "");
  return out;
}

function expectNoSecret(value: unknown, alsoForbidden: readonly string[] = []): void {
  for (const text of renderings(value)) {
    for (const secret of [...FORBIDDEN, ...alsoForbidden]) {
      expect(text, `leaked ${secret}`).not.toContain(secret);
    }
  }
}

describe("Credentials", () => {
  const credentials = new Credentials(CANARY);

  it("hides the secret and the token from every ordinary rendering", () => {
    expectNoSecret(credentials);
    expectNoSecret({ nested: { credentials } });
    expectNoSecret(String(credentials));
    // eslint-disable-next-line @typescript-eslint/no-misused-spread -- spreading is exactly the leak under test
    expectNoSecret({ ...credentials });
    expectNoSecret(structuredClone(credentials));
    expect(Object.keys(credentials)).toEqual(["accessKeyId"]);
    expect(JSON.parse(JSON.stringify(credentials))).toEqual({
      accessKeyId: "canary-ak-id",
      accessKeySecret: "<redacted>",
      securityToken: "<redacted>",
    });
  });

  it("still hands the values to code that asks for them explicitly", () => {
    expect(credentials.accessKeySecret).toBe(CANARY.accessKeySecret);
    expect(credentials.securityToken).toBe(CANARY.securityToken);
  });

  it("redacts the secret and the token in any encoding from a text", () => {
    const text = `a ${CANARY.securityToken ?? ""} b ${percentEncode(percentEncode(CANARY.accessKeySecret))} c`;
    expect(credentials.redact(text)).toBe("a <redacted> b <redacted> c");
  });

  it("reads the official environment variable names", () => {
    const fromEnv = Credentials.fromEnvironment({
      ALIBABA_CLOUD_ACCESS_KEY_ID: "id",
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: "secret",
      ALIBABA_CLOUD_SECURITY_TOKEN: "token",
    });
    expect(fromEnv?.securityToken).toBe("token");
    expect(Credentials.fromEnvironment({ ALIBABA_CLOUD_ACCESS_KEY_ID: "id" })).toBeUndefined();
  });
});

describe.each<SignatureVersion>(["v3", "v1"])("no secret in errors or observer events (%s)", (signatureVersion) => {
  let server: UpstreamTestServer;
  beforeAll(async () => {
    server = await startUpstreamTestServer({ credentials: [CANARY] });
  });
  afterAll(async () => {
    await server.close();
  });

  /** What the real upstream does on a bad signature: echo its string to sign (with the token). */
  const echoStringToSign: Handler = (hit) => {
    const unsigned = hit.rawQuery
      .split("&")
      .filter((pair) => !pair.startsWith("Signature="))
      .join("&");
    return upstreamError(
      "SignatureDoesNotMatch",
      `Specified signature is not matched with our calculation. server string to sign is:POST&%2F&${percentEncode(unsigned)} ` +
        `token ${hit.headers["x-acs-security-token"] as string | undefined ?? ""} ${CANARY.accessKeySecret}`,
      400,
    );
  };

  const scenarios: Array<[string, Handler]> = [
    ["signature echo", echoStringToSign],
    ["throttled", () => upstreamError("Throttling", "slow down", 503, { "x-acs-retry-after": "1" })],
    ["server error", () => upstreamError("InternalError", "oops", 500)],
    ["timeout", () => ({ kind: "hang" })],
    ["dropped", () => ({ kind: "drop" })],
    ["not JSON", () => ({ kind: "raw", body: "<html>" })],
    ["schema", () => json(pageBody([{ TaskId: 1 }]))],
  ];

  it.each(scenarios)("%s", async (_label, handler) => {
    server.handler = handler;
    const events: unknown[] = [];
    const observer: Required<UpstreamObserver> = {
      onCall: (e) => events.push(e),
      onRetry: (e) => events.push(e),
      onQuotaWait: (e) => events.push(e),
    };
    const from = server.hits.length;
    const client = clientFor(server, { signatureVersion, observer, timeoutMs: 200, maxAttempts: 2 }, CANARY);
    let errors: unknown[];
    try {
      errors = (
        await Promise.allSettled([
          client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 }),
          client.createUserUsageTask({ startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-02T00:00:00Z" }),
        ])
      ).map((r) => (r.status === "rejected" ? (r.reason as unknown) : new Error("expected a failure")));
    } finally {
      await client.close();
    }
    // The signatures of these very requests must not travel either.
    const signatures = server.hits
      .slice(from)
      .map((h) => (signatureVersion === "v1" ? /Signature=([^&]+)/.exec(h.rawQuery)?.[1] : /Signature=(\w+)/.exec(h.headers.authorization ?? "")?.[1]))
      .filter((s): s is string => s !== undefined)
      .flatMap((s) => [s, decodeURIComponent(s)]);
    expect(signatures.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamError);
      expectNoSecret(error, signatures);
    }
    expect(events.length).toBeGreaterThan(0);
    expectNoSecret(events, signatures);
  });

  it("quota exhausted", async () => {
    server.handler = () => json(pageBody([]));
    const events: unknown[] = [];
    const client = clientFor(
      server,
      { signatureVersion, observer: { onCall: (e) => events.push(e) }, quota: createMemoryQuota({ ratePerSecond: 1, maxWaitMs: 10 }) },
      CANARY,
    );
    try {
      await client.describeTasks("USAGE_DETAIL", { pageNumber: 1, pageSize: 50 });
      const error = await client.describeTasks("USAGE_DETAIL", { pageNumber: 2, pageSize: 50 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UPSTREAM_QUOTA_EXHAUSTED" });
      expectNoSecret(error);
    } finally {
      await client.close();
    }
    expectNoSecret(events);
  });
});
