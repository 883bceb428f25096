/** Which DownloadUrls pass the policy, and the file names the gateway suggests. */
import { describe, expect, test } from "vitest";
import { downloadFileName } from "../../src/resolvers/task-download.js";
import { checkDownloadUrl, DownloadUrlGuard, downloadUrlPolicy, type DownloadUrlRefusedEvent } from "../../src/exports/download-policy.js";

const alibaba = downloadUrlPolicy();
const emulatorMode = downloadUrlPolicy({ origins: ["http://127.0.0.1:4010"] });

describe("checkDownloadUrl", () => {
  test.each([
    "https://cdn-billing.oss-cn-hangzhou.aliyuncs.com/billing_data/123.xlsx?Expires=1&OSSAccessKeyId=x&Signature=y",
    "https://cdn.aliyuncs.com/billing_data/xxx",
    "https://download.alicdn.com/billing_data/xxx",
    "https://CDN.ALIYUNCS.COM/billing_data/xxx",
    "https://cdn.aliyuncs.com:443/billing_data/xxx",
  ])("allows %s", (url) => {
    expect(checkDownloadUrl(url, alibaba)).toMatchObject({ ok: true });
  });

  test.each([
    ["another host", "https://evil.example.com/billing_data/x", "host"],
    ["a look-alike domain", "https://evilaliyuncs.com/x", "host"],
    ["the suffix inside another host", "https://cdn.aliyuncs.com.evil.example/x", "host"],
    ["the bare domain", "https://aliyuncs.com/x", "host"],
    ["plain http to the real host", "http://cdn.aliyuncs.com/billing_data/x", "scheme"],
    ["javascript:", "javascript:alert(1)", "scheme"],
    ["data:", "data:text/html,<script>alert(1)</script>", "scheme"],
    ["user info", "https://user:pass@cdn.aliyuncs.com/x", "userinfo"],
    ["user info hiding the host", "https://cdn.aliyuncs.com@evil.example.com/x", "userinfo"],
    ["an odd port", "https://cdn.aliyuncs.com:8443/x", "port"],
    ["an IP address", "https://10.0.0.1/x", "host"],
    ["not a URL", "/billing_data/x", "malformed"],
    ["too long", `https://cdn.aliyuncs.com/${"a".repeat(5000)}`, "too-long"],
  ])("refuses %s", (_name, url, reason) => {
    expect(checkDownloadUrl(url, alibaba)).toMatchObject({ ok: false, reason });
  });

  test("a backslash cannot smuggle another host (WHATWG parsing, the same a browser does)", () => {
    const verdict = checkDownloadUrl("https://cdn.aliyuncs.com\\@evil.example.com/x", alibaba);
    expect(verdict.ok).toBe(true);
    expect(verdict.ok && new URL(verdict.url).hostname).toBe("cdn.aliyuncs.com");
  });

  test("emulator mode allows exactly the emulator's origin, over http", () => {
    expect(checkDownloadUrl("http://127.0.0.1:4010/downloads/ab.xlsx", emulatorMode)).toEqual({ ok: true, url: "http://127.0.0.1:4010/downloads/ab.xlsx" });
    expect(checkDownloadUrl("http://127.0.0.1:4011/downloads/ab.xlsx", emulatorMode)).toMatchObject({ ok: false, reason: "scheme" });
    expect(checkDownloadUrl("http://localhost:4010/downloads/ab.xlsx", emulatorMode)).toMatchObject({ ok: false });
    expect(checkDownloadUrl("http://u@127.0.0.1:4010/downloads/ab.xlsx", emulatorMode)).toMatchObject({ ok: false, reason: "userinfo" });
  });

  test("an empty suffix list allows exact origins only", () => {
    const strict = downloadUrlPolicy({ httpsHostSuffixes: [] });
    expect(checkDownloadUrl("https://cdn.aliyuncs.com/x", strict)).toMatchObject({ ok: false, reason: "host" });
  });

  test("a policy refuses a suffix or origin that cannot be one", () => {
    expect(() => downloadUrlPolicy({ httpsHostSuffixes: ["com"] })).toThrow();
    expect(() => downloadUrlPolicy({ httpsHostSuffixes: [".com"] })).toThrow();
    expect(() => downloadUrlPolicy({ origins: ["not a url"] })).toThrow();
  });
});

describe("DownloadUrlGuard", () => {
  test("reports each refused task once per request, with host and reason but no path or query", () => {
    const events: DownloadUrlRefusedEvent[] = [];
    const guard = new DownloadUrlGuard(downloadUrlPolicy({ onRefused: (event) => events.push(event) }));
    const task = { kind: "USAGE_DETAIL" as const, taskId: "7", downloadUrl: "https://evil.example.com/x?Signature=secret" };
    expect(guard.urlOf(task)).toBeNull();
    expect(guard.urlOf(task)).toBeNull();
    expect(events).toEqual([{ kind: "USAGE_DETAIL", taskId: "7", reason: "host", host: "evil.example.com" }]);
    expect(JSON.stringify(events)).not.toContain("secret");
    expect(guard.urlOf({ ...task, downloadUrl: null })).toBeNull();
    expect(events).toHaveLength(1);
  });
});

describe("downloadFileName", () => {
  const base = { kind: "USAGE_DETAIL" as const, taskId: "10000123", name: null, startTime: null, endTime: null };

  test("kind, id, name and range", () => {
    expect(
      downloadFileName({ ...base, name: "Monthly bill check", startTime: "2024-01-01T00:00:00Z", endTime: "2024-02-01T00:00:00Z" }),
    ).toBe("usage-detail_10000123_monthly-bill-check_20240101T000000Z-20240201T000000Z.xlsx");
    expect(downloadFileName({ ...base, kind: "USER_USAGE" })).toBe("user-usage_10000123.pdf");
  });

  test.each([
    ["path traversal", "../../etc/passwd", "usage-detail_10000123_etc-passwd.xlsx"],
    ["header injection", 'a"\r\nContent-Type: text/html', "usage-detail_10000123_a-content-type-text-html.xlsx"],
    ["accents", "Relevé été", "usage-detail_10000123_releve-ete.xlsx"],
    ["only CJK", "月度用量导出", "usage-detail_10000123.xlsx"],
  ])("a name with %s stays safe", (_name, name, expected) => {
    expect(downloadFileName({ ...base, name })).toBe(expected);
  });

  test("odd task ids and long names are cut down to safe characters", () => {
    const fileName = downloadFileName({ ...base, taskId: "a/b\\c", name: "x".repeat(200) });
    expect(fileName).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(fileName).toBe(`usage-detail_a-b-c_${"x".repeat(40)}.xlsx`);
    expect(downloadFileName({ ...base, taskId: "///" })).toBe("usage-detail_task.xlsx");
  });
});
