/**
 * Test helper: a gateway whose upstream lists the tasks a test scripts, with DownloadUrls on a
 * loopback "storage" server that answers each path as the test says (a workbook, 403 for an
 * expired link, 500, a cut connection, a redirect, anything else), counting what it served.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { json, startUpstreamTestServer, type UpstreamTestServer } from "./upstream-test-server.js";
import { startServerHarness, type ServerHarness, type ServerHarnessOptions } from "./server-harness.js";

export type StorageAnswer =
  | { kind: "file"; body: Buffer }
  | { kind: "status"; status: number }
  | { kind: "drop" }
  | { kind: "redirect"; location: string };

export interface ExportStorage {
  origin: string;
  /** Requests per path (query excluded). */
  hits: Map<string, number>;
  /** Full URLs requested (path and query), to check what the gateway asked for. */
  requested: string[];
  answer(path: string, answer: StorageAnswer): void;
  close(): Promise<void>;
}

export async function startExportStorage(): Promise<ExportStorage> {
  const answers = new Map<string, StorageAnswer>();
  const hits = new Map<string, number>();
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "/";
    requested.push(url);
    const path = url.split("?")[0] ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const answer = answers.get(path) ?? { kind: "status", status: 404 };
    if (answer.kind === "file") res.writeHead(200, { "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }).end(answer.body);
    else if (answer.kind === "status") res.writeHead(answer.status).end(`<Error><Code>${answer.status}</Code></Error>`);
    else if (answer.kind === "redirect") res.writeHead(302, { location: answer.location }).end();
    else res.socket?.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    requested,
    answer: (path, answer) => answers.set(path, answer),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface ListedTask {
  TaskId: string;
  Status?: string;
  /** The DownloadUrl of each listing in turn (the last repeats): a fresh link after the first. */
  downloadUrls: string[];
}

export const TEST_AK = { accessKeyId: "export-test-ak", accessKeySecret: "export-test-secret" };

/** An upstream listing `tasks()` (usage-detail; no user-usage tasks), counting its list reads. */
export async function startListingUpstream(tasks: () => ListedTask[]): Promise<UpstreamTestServer & { listings: () => number }> {
  let listings = 0;
  const seen = new Map<string, number>();
  const upstream = await startUpstreamTestServer({
    credentials: [TEST_AK],
    handler: (hit) => {
      if (!hit.action.startsWith("Describe")) return json({ RequestId: "r", Code: "Forbidden" }, 403);
      const items = hit.action === "DescribeUserUsageDetailDataExportTask" ? tasks() : [];
      if (items.length > 0) listings += 1;
      return json({
        RequestId: `req-list-${listings}`,
        UsageDataPerPage: {
          PageNumber: Number(hit.params["PageNumber"] ?? 1),
          PageSize: Number(hit.params["PageSize"] ?? 50),
          TotalCount: items.length,
          Data: {
            DataItem: items.map((task) => {
              const n = seen.get(task.TaskId) ?? 0;
              seen.set(task.TaskId, n + 1);
              return {
                TaskId: task.TaskId,
                TaskName: `task ${task.TaskId}`,
                Status: task.Status ?? "success",
                CreateTime: "2026-11-01T00:00:00Z",
                UpdateTime: "2026-11-01T00:05:00Z",
                DownloadUrl: task.downloadUrls[Math.min(n, task.downloadUrls.length - 1)],
                TaskConfig: { StartTime: "2026-10-01T00:00:00Z", EndTime: "2026-10-02T00:00:00Z" },
              };
            }),
          },
        },
      });
    },
  });
  return Object.assign(upstream, { listings: () => listings });
}

/** A gateway (real process wiring) on that upstream, allowed to fetch from `storage`. */
export function gatewayOn(
  upstream: UpstreamTestServer,
  storage: ExportStorage,
  env: Record<string, string> = {},
  options: Omit<ServerHarnessOptions, "env"> = {},
): Promise<ServerHarness> {
  return startServerHarness({
    ...options,
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_AK.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_AK.accessKeySecret,
      CDN_ENDPOINT: upstream.url,
      CDN_DOWNLOAD_ORIGINS: storage.origin,
      GATEWAY_AUTH: "off",
      CDN_MAX_ATTEMPTS: "1",
      ...env,
    },
  });
}
