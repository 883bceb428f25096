/** Authentication as the upstream does it: V3 and V1 signatures, timestamps, nonces, STS tokens. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { sha256Hex } from "../../src/upstream/signing/index.js";
import { manualClock } from "./clock.js";
import { callV1, callV3, type CallResult } from "./signed-call.js";

const DESCRIBE = "DescribeUserUsageDataExportTask";
const clock = manualClock();
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ now: clock.now, historySize: 10, quotaPerSecond: 1_000_000 });
});
afterAll(async () => {
  await emulator.close();
});

const at = { time: clock.now() };

function expectError(result: CallResult, status: number, code: string): void {
  expect({ status: result.status, code: result.body.Code }).toEqual({ status, code });
  expect(Object.keys(result.body).sort()).toEqual(["Code", "HostId", "Message", "Recommend", "RequestId"]);
  expect(result.body.RequestId).toBe(result.headers.get("x-acs-request-id"));
  expect(result.text).not.toContain(emulator.accessKeySecret);
}

describe.each([
  ["V3", callV3],
  ["V1", callV1],
] as const)("%s signatures", (_label, call) => {
  it("accepts a correctly signed POST and GET", async () => {
    for (const method of ["POST", "GET"] as const) {
      const result = await call(emulator, DESCRIBE, { PageSize: "3" }, { ...at, method });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ UsageDataPerPage: { PageSize: 3, TotalCount: 10 } });
    }
  });

  it("reads parameters from a form-urlencoded body too", async () => {
    const result = await call(emulator, DESCRIBE, {}, { ...at, form: { PageSize: "4", PageNumber: "2" } });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ UsageDataPerPage: { PageNumber: 2, PageSize: 4 } });
  });

  it("refuses a wrong secret with SignatureDoesNotMatch (and echoes no signature)", async () => {
    const result = await call(emulator, DESCRIBE, {}, { ...at, secret: "wrong-secret" });
    expectError(result, 400, "SignatureDoesNotMatch");
  });

  it("refuses a query changed after signing", async () => {
    const result = await call(emulator, DESCRIBE, { PageSize: "3" }, { ...at, tamperQuery: (q) => (q.PageSize = "50") });
    expectError(result, 400, "SignatureDoesNotMatch");
  });

  it("answers an unknown AccessKeyId with InvalidAccessKeyId.NotFound (404)", async () => {
    const result = await call(emulator, DESCRIBE, {}, { ...at, accessKeyId: "LTAIsomebodyElse" });
    expectError(result, 404, "InvalidAccessKeyId.NotFound");
  });

  it("accepts 14 minutes of clock skew and refuses 16 (InvalidTimeStamp.Expired)", async () => {
    for (const skew of [14, -14]) {
      expect((await call(emulator, DESCRIBE, {}, { time: clock.now() + skew * 60_000 })).status).toBe(200);
    }
    for (const skew of [16, -16]) {
      expectError(await call(emulator, DESCRIBE, {}, { time: clock.now() + skew * 60_000 }), 400, "InvalidTimeStamp.Expired");
    }
  });

  it("refuses a reused nonce within 15 minutes, and forgets it after", async () => {
    const nonce = `nonce-${_label}-${Math.random()}`;
    expect((await call(emulator, DESCRIBE, {}, { ...at, nonce })).status).toBe(200);
    expectError(await call(emulator, DESCRIBE, {}, { ...at, nonce }), 400, "SignatureNonceUsed");
    clock.advance(15 * 60_000 + 1000);
    try {
      expect((await call(emulator, DESCRIBE, {}, { time: clock.now(), nonce })).status).toBe(200);
    } finally {
      clock.advance(-(15 * 60_000 + 1000));
    }
  });

  it("answers an unknown action and a wrong version", async () => {
    expectError(await call(emulator, "DescribeCdnService", {}, at), 404, "InvalidAction.NotFound");
    expectError(await call(emulator, DESCRIBE, {}, { ...at, version: "2014-11-11" }), 400, "InvalidVersion");
  });

  it("refuses a security token the AccessKey does not have", async () => {
    const result = await call(emulator, DESCRIBE, {}, { ...at, securityToken: "some-sts-token" });
    expectError(result, 400, "InvalidSecurityToken.MismatchWithAccessKey");
    expect(result.text).not.toContain("some-sts-token");
  });
});

describe("V3 specifics", () => {
  it("refuses a call with neither Authorization nor Signature (IncompleteSignature)", async () => {
    const response = await fetch(`${emulator.url}/?Action=${DESCRIBE}&Version=2018-05-10&AccessKeyId=${emulator.accessKeyId}`, {
      method: "POST",
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect({ status: response.status, code: body.Code }).toEqual({ status: 400, code: "IncompleteSignature" });
  });

  it("refuses an Authorization header without its Signature part", async () => {
    const result = await callV3(emulator, DESCRIBE, {}, {
      ...at,
      tamperHeaders: (h) => (h.authorization = h.authorization!.replace(/,Signature=.*$/, "")),
    });
    expectError(result, 400, "IncompleteSignature");
  });

  it("refuses SignedHeaders that leave out a required header", async () => {
    const result = await callV3(emulator, DESCRIBE, {}, {
      ...at,
      tamperHeaders: (h) => (h.authorization = h.authorization!.replace(";x-acs-signature-nonce", "")),
    });
    expectError(result, 400, "IncompleteSignature");
    expect(result.body.Message).toContain("x-acs-signature-nonce");
  });

  it("refuses an x-acs-content-sha256 that is not the body's hash", async () => {
    const result = await callV3(emulator, DESCRIBE, {}, { ...at, contentSha256: sha256Hex("something else") });
    expectError(result, 400, "SignatureDoesNotMatch");
    expect(result.body.Message).toContain("x-acs-content-sha256");
  });

  it("refuses a signed header changed after signing", async () => {
    const result = await callV3(emulator, DESCRIBE, {}, { ...at, tamperHeaders: (h) => (h["x-acs-signature-nonce"] = "other") });
    expectError(result, 400, "SignatureDoesNotMatch");
  });

  it("refuses a malformed x-acs-date", async () => {
    const result = await callV3(emulator, DESCRIBE, {}, { ...at, tamperHeaders: (h) => (h["x-acs-date"] = "yesterday") });
    expectError(result, 400, "InvalidTimeStamp.Format");
  });
});

describe("V1 specifics", () => {
  it("refuses a missing signature parameter and another signature method", async () => {
    const missing = await callV1(emulator, DESCRIBE, {}, { ...at, tamperQuery: (q) => delete q.SignatureNonce });
    expectError(missing, 400, "IncompleteSignature");
    const method = await callV1(emulator, DESCRIBE, {}, { ...at, tamperQuery: (q) => (q.SignatureMethod = "HMAC-SHA256") });
    expectError(method, 400, "InvalidSignatureMethod");
  });
});

describe("STS mode", () => {
  let sts: RunningEmulator;
  beforeAll(async () => {
    sts = await startEmulator({ now: clock.now, historySize: 1, securityToken: "the-sts-token" });
  });
  afterAll(async () => {
    await sts.close();
  });

  it.each([
    ["V3", callV3],
    ["V1", callV1],
  ] as const)("%s: requires exactly the configured token", async (_label, call) => {
    expect((await call(sts, DESCRIBE, {}, { ...at, securityToken: "the-sts-token" })).status).toBe(200);
    const missing = await call(sts, DESCRIBE, {}, at);
    expect({ status: missing.status, code: missing.body.Code }).toEqual({ status: 400, code: "MissingSecurityToken" });
    const wrong = await call(sts, DESCRIBE, {}, { ...at, securityToken: "another-token" });
    expect({ status: wrong.status, code: wrong.body.Code }).toEqual({ status: 400, code: "InvalidSecurityToken.MismatchWithAccessKey" });
    expect(wrong.text).not.toContain("the-sts-token");
  });

  it("V3: refuses a token header left out of SignedHeaders", async () => {
    const result = await callV3(sts, DESCRIBE, {}, {
      ...at,
      securityToken: "the-sts-token",
      tamperHeaders: (h) => (h.authorization = h.authorization!.replace(";x-acs-security-token", "")),
    });
    expect({ status: result.status, code: result.body.Code }).toEqual({ status: 400, code: "IncompleteSignature" });
  });
});
