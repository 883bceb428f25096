/**
 * DownloadUrls of a separate emulator through the real app wiring (real mode, CDN_ENDPOINT on
 * loopback): its plain-http URLs are refused unless CDN_DOWNLOAD_ORIGINS names its origin, and a
 * refused host is logged once, not once per task per read.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

// The message says what happened; `reason` (scheme, host, port, userinfo…) says why.
const REFUSED = "download URL refused";
const TASKS = `{ tasks(first: 50) { edges { node { taskId status downloadUrl download { ready url } } } } }`;

interface TaskNode {
  taskId: string;
  status: string;
  downloadUrl: string | null;
  download: { ready: boolean; url: string | null };
}

async function listTasks(h: ServerHarness): Promise<TaskNode[]> {
  const { status, body } = await postGraphQL(h.url, TASKS);
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  return (body.data as { tasks: { edges: { node: TaskNode }[] } }).tasks.edges.map((edge) => edge.node);
}

function refusals(h: ServerHarness): Array<Record<string, unknown>> {
  return h.logs.records().filter((record) => record.msg === REFUSED);
}

describe("download URLs of a separate emulator", () => {
  let emulator: RunningEmulator;
  let h: ServerHarness | undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, historySize: { USAGE_DETAIL: 60, USER_USAGE: 0 }, quotaPerSecond: 10_000 });
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  afterAll(async () => {
    await emulator.close();
  });

  const start = (extra: Record<string, string> = {}): Promise<ServerHarness> =>
    startServerHarness({
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
        CDN_ENDPOINT: emulator.url,
        CDN_CACHE_TTL_MS: "0",
        GATEWAY_AUTH: "off",
        ...extra,
      },
    });

  it("without CDN_DOWNLOAD_ORIGINS: every URL is refused, the host is logged once across tasks and reads", async () => {
    h = await start();
    const first = await listTasks(h);
    const succeeded = first.filter((task) => task.status === "SUCCESS");
    expect(succeeded.length).toBeGreaterThan(1);
    await listTasks(h);
    await listTasks(h);
    for (const task of first) {
      expect(task.downloadUrl).toBeNull();
      expect(task.download).toEqual({ ready: false, url: null });
    }
    const logged = refusals(h);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: "warn", host: "127.0.0.1", reason: "scheme" });
    // Host and reason only: the URL (a signed one, for real) never reaches the log.
    expect(h.logs.lines.join("\n")).not.toContain("/downloads/");
  });

  it("an origin in CDN_DOWNLOAD_ORIGINS passes, with nothing logged", async () => {
    h = await start({ CDN_DOWNLOAD_ORIGINS: `https://files.example.com, ${emulator.url}/` });
    expect(h.config.upstream.downloadOrigins).toEqual(["https://files.example.com", emulator.url]);
    const succeeded = (await listTasks(h)).filter((task) => task.status === "SUCCESS");
    expect(succeeded.length).toBeGreaterThan(1);
    for (const task of succeeded) {
      expect(task.downloadUrl?.startsWith(`${emulator.url}/downloads/`)).toBe(true);
      expect(task.download).toEqual({ ready: true, url: task.downloadUrl });
    }
    expect(refusals(h)).toHaveLength(0);
  });
});
