/** ExportTask.download and downloadUrl against the real emulator, under the download policy. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { downloadUrlPolicy, type DownloadUrlRefusedEvent } from "../../src/exports/download-policy.js";
import type { CdnExportApi } from "../../src/upstream/types.js";
import { startGatewayHarness, type GatewayHarness } from "../helpers/gateway-harness.js";
import { postGraphQL, startServerHarness } from "../helpers/server-harness.js";

interface Node {
  taskId: string;
  status: string;
  downloadUrl: string | null;
  download: { url: string | null; fileName: string; ready: boolean };
}
const QUERY = `{ tasks(first: 40) { edges { node { taskId status downloadUrl download { url fileName ready } } } } }`;

async function nodes(h: GatewayHarness): Promise<Node[]> {
  const response = await h.execute<{ tasks: { edges: { node: Node }[] } }>(QUERY);
  expect(response.errors).toBeUndefined();
  return response.data!.tasks.edges.map((e) => e.node);
}

describe("emulator mode (the emulator's origin is allowed)", () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({ emulator: { historySize: 40 } });
  });
  afterAll(async () => {
    await h.close();
  });

  test("succeeded tasks are ready with a URL that serves the file; others are not ready", async () => {
    const all = await nodes(h);
    const ready = all.filter((n) => n.download.ready);
    expect(ready.length).toBeGreaterThan(0);
    for (const node of all) {
      expect(node.download.ready).toBe(node.status === "SUCCESS");
      expect(node.download.url).toBe(node.downloadUrl);
      expect(node.download.fileName).toMatch(new RegExp(`^usage-detail_${node.taskId}(_[A-Za-z0-9-]+)?_\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.xlsx$`));
      if (node.status !== "SUCCESS") expect(node.download.url).toBeNull();
    }
    const url = ready[0]!.download.url!;
    expect(url.startsWith(`${h.emulator.url}/downloads/`)).toBe(true);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    // An .xlsx is a zip: "PK".
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 2).toString("latin1")).toBe("PK");
  });

  test("a user-usage export is a PDF: fileType PDF, download.fileName ….pdf, a file that is one; usage details stay .xlsx", async () => {
    type Kind = { edges: { node: { taskId: string; status: string; fileType: string; download: { fileName: string; url: string | null } } }[] };
    const response = await h.execute<{ user: Kind; detail: Kind }>(
      `{ user: tasks(kind: USER_USAGE, first: 20) { ...finished } detail: tasks(kind: USAGE_DETAIL, first: 20) { ...finished } }
       fragment finished on ExportTaskConnection { edges { node { taskId status fileType download { fileName url } } } }`,
    );
    expect(response.errors).toBeUndefined();
    const finished = (kind: Kind) => kind.edges.map((e) => e.node).filter((node) => node.status === "SUCCESS");
    const [user, detail] = [finished(response.data!.user), finished(response.data!.detail)];
    expect(user.length).toBeGreaterThan(0);
    expect(detail.length).toBeGreaterThan(0);
    for (const node of user) {
      expect(node.fileType).toBe("PDF");
      expect(node.download.fileName).toMatch(new RegExp(`^user-usage_${node.taskId}[A-Za-z0-9._-]*\\.pdf$`));
    }
    for (const node of detail) {
      expect(node.fileType).toBe("XLSX");
      expect(node.download.fileName).toMatch(new RegExp(`^usage-detail_${node.taskId}[A-Za-z0-9._-]*\\.xlsx$`));
    }
    const pdf = await fetch(user[0]!.download.url!);
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });
});

describe("real-upstream policy (Alibaba hosts over https only)", () => {
  const refused: DownloadUrlRefusedEvent[] = [];
  /** The emulator's list, with DownloadUrls rewritten as a tampered or real upstream might send them. */
  const rewrites = new Map<string, string>();
  const rewriting = (api: CdnExportApi): CdnExportApi => ({
    createUsageDetailTask: (p, o) => api.createUsageDetailTask(p, o),
    createUserUsageTask: (p, o) => api.createUserUsageTask(p, o),
    deleteTask: (k, t, o) => api.deleteTask(k, t, o),
    describeTasks: async (kind, page, options) => {
      const read = await api.describeTasks(kind, page, options);
      return { ...read, tasks: read.tasks.map((task) => ({ ...task, downloadUrl: rewrites.get(task.taskId) ?? task.downloadUrl })) };
    },
  });
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startGatewayHarness({
      emulator: { historySize: 40 },
      wrapApi: rewriting,
      downloadPolicy: () => downloadUrlPolicy({ onRefused: (event) => refused.push(event) }),
    });
  });
  afterAll(async () => {
    await h.close();
  });

  test("only https URLs on the upstream's download hosts reach the client", async () => {
    const succeeded = (await nodes(h)).filter((n) => n.status === "SUCCESS").map((n) => n.taskId);
    expect(succeeded.length).toBeGreaterThanOrEqual(4);
    const [oss, evil, userinfo, plain] = succeeded as [string, string, string, string];
    const signed = "https://cdn-billing.oss-cn-hangzhou.aliyuncs.com/billing_data/1.xlsx?Expires=1700000000&OSSAccessKeyId=AK&Signature=abc%3D";
    rewrites.set(oss, signed);
    rewrites.set(evil, "https://evil.example.com/billing_data/2.xlsx?Signature=do-not-log");
    rewrites.set(userinfo, "https://cdn.aliyuncs.com@evil.example.com/x");
    refused.length = 0;

    const byId = new Map((await nodes(h)).map((n) => [n.taskId, n]));
    expect(byId.get(oss)).toMatchObject({ downloadUrl: signed, download: { url: signed, ready: true } });
    for (const id of [evil, userinfo, plain]) {
      // `plain` keeps the emulator's own http://127.0.0.1 URL, which this policy does not allow.
      expect(byId.get(id)).toMatchObject({ downloadUrl: null, download: { url: null, ready: false } });
      expect(byId.get(id)!.download.fileName).toMatch(/\.xlsx$/);
    }
    // One report per refused task and request (both fields asked), with the reason; no URL.
    const reasons = new Map(refused.map((e) => [e.taskId, e.reason]));
    expect(reasons.get(evil)).toBe("host");
    expect(reasons.get(userinfo)).toBe("userinfo");
    expect(reasons.get(plain)).toBe("scheme");
    expect(refused.filter((e) => e.taskId === evil)).toHaveLength(1);
    expect(JSON.stringify(refused)).not.toContain("do-not-log");
  });
});

describe("the app's wiring (npm start with the embedded emulator)", () => {
  test("download URLs of the embedded emulator are shown and fetchable", async () => {
    const app = await startServerHarness();
    try {
      const response = await postGraphQL(app.url, `{ tasks(first: 30) { edges { node { status downloadUrl download { url ready } } } } }`);
      const edges = (response.body.data as { tasks: { edges: { node: { status: string; downloadUrl: string | null; download: { url: string | null; ready: boolean } } }[] } })
        .tasks.edges;
      const ready = edges.map((e) => e.node).filter((n) => n.download.ready);
      expect(ready.length).toBeGreaterThan(0);
      expect(ready.every((n) => n.status === "SUCCESS" && n.downloadUrl === n.download.url)).toBe(true);
      expect((await fetch(ready[0]!.download.url!)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
