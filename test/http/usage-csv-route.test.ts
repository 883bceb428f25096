/**
 * GET /exports/usage-detail/<taskId>.csv over real HTTP against the embedded emulator: the same
 * authentication and scope as `tasks`, CSV lines computed here from the emulator's series, the
 * query parameters, every error as JSON with its code and status, CORS and the access log as
 * for /graphql, and a body that waits for a slow client instead of piling up in memory.
 */
import { request as httpRequest } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashName, usageAt } from "../../src/emulator/usage-series.js";
import { createFinishedExport, daysAgo, DAY_MS, iso, SLOT_MS, type FinishedExport } from "../helpers/finished-export.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const READER = "csv-reader-key-0123456789";
const WRITER = "csv-writer-key-0123456789";
const ALL = "csv-all-key-0123456789abc";
const asReader = { authorization: `Bearer ${READER}` };
const asAll = { authorization: `Bearer ${ALL}` };

describe("the usage CSV route", () => {
  let h: ServerHarness;
  let task: FinishedExport;
  const start = daysAgo(12);
  const csvUrl = (taskId: string, query = ""): string => `${h.base}/exports/usage-detail/${taskId}.csv${query}`;

  beforeAll(async () => {
    h = await startServerHarness({
      env: {
        GATEWAY_API_KEYS: JSON.stringify([
          { name: "reader", key: READER, scopes: ["export:read"] },
          { name: "writer", key: WRITER, scopes: ["export:create"] },
          { name: "all", key: ALL, scopes: ["export:read", "export:create", "export:delete"] },
        ]),
      },
    });
    task = await createFinishedExport(h.url, { startTime: iso(start), endTime: iso(start + DAY_MS), domainNames: ["b.example.com", "a.example.com"] }, asAll);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it("one line per domain and 5-minute slot: the file's numbers, as an attachment", async () => {
    const res = await fetch(csvUrl(task.taskId), { headers: asReader });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="usage-detail_${task.taskId}_${task.startTime.replace(/[-:]/g, "")}-${task.endTime.replace(/[-:]/g, "")}.csv"`,
    );
    expect(res.headers.get("x-request-id")).toMatch(/\S/);
    const lines = (await res.text()).split("\n");
    expect(lines[0]).toBe("time,domain,traffic_bytes,bandwidth_bps,requests");
    const expected: string[] = [];
    for (let time = start; time < start + DAY_MS; time += SLOT_MS) {
      for (const domain of ["a.example.com", "b.example.com"]) {
        const usage = usageAt(hashName(`${task.taskId}/${domain}`), time);
        expected.push(`${iso(time)},${domain},${usage.trafficBytes},${usage.bandwidthBps},`);
      }
    }
    expect(lines.slice(1, -1)).toEqual(expected);
    expect(lines.at(-1)).toBe("");
  });

  it("domain, interval, timeZone, from/to; summed=true gives one line per bucket with an empty domain", async () => {
    const hourly = (await (await fetch(csvUrl(task.taskId, `?domain=A.example.com&interval=HOUR&from=${iso(start + 3_600_000)}&to=${iso(start + 3 * 3_600_000)}`), { headers: asReader })).text()).split("\n");
    const a = (hour: number) => Array.from({ length: 12 }, (_, i) => usageAt(hashName(`${task.taskId}/a.example.com`), start + hour * 3_600_000 + i * SLOT_MS));
    expect(hourly.slice(1, -1)).toEqual(
      [1, 2].map((hour) => `${iso(start + hour * 3_600_000)},a.example.com,${a(hour).reduce((s, u) => s + u.trafficBytes, 0)},${Math.max(...a(hour).map((u) => u.bandwidthBps))},`),
    );
    const summed = (await (await fetch(csvUrl(task.taskId, "?summed=true&interval=DAY&timeZone=Asia/Shanghai"), { headers: asReader })).text()).split("\n");
    expect(summed.slice(1, -1).map((line) => line.split(",").slice(0, 2))).toEqual([
      [iso(start - 8 * 3_600_000), ""],
      [iso(start + 16 * 3_600_000), ""],
    ]);
  });

  it("errors: JSON with the code, at the route's status", async () => {
    const created = await postGraphQL(h.url, `mutation($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }`, {
      headers: asAll,
      variables: { i: { type: "FLOW", startTime: iso(start), endTime: iso(start + 3_600_000), domainNames: ["a.example.com"] } },
    });
    const pending = (created.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
    const cases: [string, RequestInit, number, Record<string, unknown>][] = [
      [csvUrl(task.taskId), {}, 401, { code: "UNAUTHENTICATED" }],
      [csvUrl(task.taskId), { headers: { authorization: "Bearer wrong-key" } }, 401, { code: "UNAUTHENTICATED" }],
      [csvUrl(task.taskId), { headers: { authorization: `Bearer ${WRITER}` } }, 403, { code: "FORBIDDEN", requiredScopes: ["export:read"] }],
      [csvUrl("999999999"), { headers: asReader }, 404, { code: "NOT_FOUND", kind: "USAGE_DETAIL", taskId: "999999999" }],
      [csvUrl(pending), { headers: asReader }, 409, { code: "EXPORT_NOT_READY", taskId: pending, status: "CREATED" }],
      [csvUrl(task.taskId, "?timeZone=Mars/Olympus"), { headers: asReader }, 400, { code: "BAD_USER_INPUT", field: "timeZone", rule: "time-zone" }],
      [csvUrl(task.taskId, "?domain=nope.example.com"), { headers: asReader }, 400, { code: "BAD_USER_INPUT", field: "domain", rule: "unknown-domain" }],
      [csvUrl(task.taskId, "?domain=a.example.com&summed=true"), { headers: asReader }, 400, { code: "BAD_USER_INPUT", field: "summed" }],
      [csvUrl(task.taskId, "?interval=WEEK"), { headers: asReader }, 400, { code: "BAD_USER_INPUT", field: "interval" }],
      [csvUrl(task.taskId, "?from=yesterday"), { headers: asReader }, 400, { code: "BAD_USER_INPUT", field: "from" }],
      [csvUrl(task.taskId), { method: "POST", headers: asReader }, 405, { code: "BAD_REQUEST" }],
    ];
    for (const [url, init, status, extensions] of cases) {
      const res = await fetch(url, init);
      expect(res.status, `${init.method ?? "GET"} ${url}`).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.extensions, url).toMatchObject(extensions);
      expect(body.errors[0]?.extensions).not.toHaveProperty("http");
      if (status === 401) expect(res.headers.get("www-authenticate")).toBe("Bearer");
      if (status === 405) expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  it("CORS as for /graphql; HEAD answers the headers; the access log has a line", async () => {
    const res = await fetch(csvUrl(task.taskId), { method: "HEAD", headers: { ...asReader, origin: "https://dashboard.example.com", "x-request-id": "csv-head-1" } });
    expect(res.status).toBe(200);
    const graphql = await fetch(`${h.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { ...asReader, origin: "https://dashboard.example.com", "x-graphql-yoga-csrf": "1" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://dashboard.example.com");
    expect(res.headers.get("access-control-allow-origin")).toBe(graphql.headers.get("access-control-allow-origin"));
    expect(res.headers.get("access-control-expose-headers")).toBe(graphql.headers.get("access-control-expose-headers"));
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await res.text()).toBe("");
    const preflight = await fetch(csvUrl(task.taskId), { method: "OPTIONS", headers: { origin: "https://dashboard.example.com", "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://dashboard.example.com");
    const line = h.logs.records().find((record) => record["requestId"] === "csv-head-1");
    expect(line).toMatchObject({ method: "HEAD", path: `/exports/usage-detail/${task.taskId}.csv`, status: 200 });
  });
});

describe("the usage CSV route streams", () => {
  let h: ServerHarness;
  let task: FinishedExport;

  beforeAll(async () => {
    h = await startServerHarness({ env: { EXPORT_FETCH_TIMEOUT_MS: "120000" } });
    const start = daysAgo(60);
    const domains = Array.from({ length: 40 }, (_, i) => `d${i}.example.com`);
    task = await createFinishedExport(h.url, { startTime: iso(start), endTime: iso(start + 31 * DAY_MS), domainNames: domains });
    // Read once before the streaming test, so it measures the route, not the first parse.
    expect((await fetch(`${h.base}/exports/usage-detail/${task.taskId}.csv?interval=DAY`)).status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await h.close();
  });

  it("a client that stops reading holds the server back: it never writes the whole file ahead", async () => {
    const sockets: Socket[] = [];
    h.gateway.server.on("connection", (socket: Socket) => sockets.push(socket));
    let received = 0;
    let paused = false;
    const total = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${h.base}/exports/usage-detail/${task.taskId}.csv`, (res) => {
        expect(res.statusCode).toBe(200);
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (!paused && received > 1_000_000) {
            paused = true;
            res.pause();
            void sleep(700).then(() => {
              // 31 days × 40 domains is ~23 MB of CSV: what the server wrote so far is a small part.
              const written = sockets.reduce((sum, socket) => sum + socket.bytesWritten, 0);
              expect(written).toBeLessThan(12_000_000);
              res.resume();
            });
          }
        });
        res.on("end", () => resolve(received));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    expect(paused).toBe(true);
    expect(total).toBeGreaterThan(20_000_000);
  }, 60_000);
});
