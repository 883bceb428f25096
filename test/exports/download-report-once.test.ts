/** reportOncePerHost: one report per (host, reason), however many tasks and reads refuse it. */
import { describe, expect, test } from "vitest";
import { DownloadUrlGuard, downloadUrlPolicy, MAX_REPORTED_HOSTS, reportOncePerHost, type DownloadUrlRefusedEvent } from "../../src/exports/download-policy.js";

const task = (taskId: string, downloadUrl: string) => ({ kind: "USAGE_DETAIL" as const, taskId, downloadUrl });

describe("reportOncePerHost", () => {
  test("a refused host is reported once across many tasks and requests, and still refused every time", () => {
    const reported: DownloadUrlRefusedEvent[] = [];
    const policy = downloadUrlPolicy({ onRefused: reportOncePerHost((event) => reported.push(event)) });
    for (let request = 0; request < 3; request += 1) {
      const guard = new DownloadUrlGuard(policy); // one per request, as the context builds it
      for (let i = 0; i < 50; i += 1) expect(guard.urlOf(task(`t${i}`, `http://127.0.0.1:4010/downloads/${i}.xlsx`))).toBeNull();
    }
    expect(reported).toEqual([{ kind: "USAGE_DETAIL", taskId: "t0", reason: "scheme", host: "127.0.0.1" }]);
  });

  test("another host or another reason is reported on its own", () => {
    const reported: DownloadUrlRefusedEvent[] = [];
    const guard = new DownloadUrlGuard(downloadUrlPolicy({ onRefused: reportOncePerHost((event) => reported.push(event)) }));
    guard.urlOf(task("a", "http://127.0.0.1:4010/x"));
    guard.urlOf(task("b", "https://127.0.0.1:4010/x"));
    guard.urlOf(task("c", "https://evil.example.com/x"));
    guard.urlOf(task("d", "https://evil.example.com/y"));
    guard.urlOf(task("e", "not a url"));
    guard.urlOf(task("f", "also not a url"));
    expect(reported.map((event) => [event.taskId, event.reason, event.host])).toEqual([
      ["a", "scheme", "127.0.0.1"],
      ["b", "port", "127.0.0.1"],
      ["c", "host", "evil.example.com"],
      ["e", "malformed", null],
    ]);
  });

  test("remembers at most MAX_REPORTED_HOSTS pairs; past that, new hosts are reported each time", () => {
    let reports = 0;
    const report = reportOncePerHost(() => {
      reports += 1;
    });
    const event = (host: string): DownloadUrlRefusedEvent => ({ kind: "USER_USAGE", taskId: "t", reason: "host", host });
    for (let i = 0; i < MAX_REPORTED_HOSTS; i += 1) report(event(`h${i}.example.com`));
    report(event("h0.example.com"));
    expect(reports).toBe(MAX_REPORTED_HOSTS);
    report(event("late.example.com"));
    report(event("late.example.com"));
    expect(reports).toBe(MAX_REPORTED_HOSTS + 2);
  });
});
