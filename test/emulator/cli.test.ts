/** `npm run emulator` (src/emulator/cli.ts) as a new user meets it: output, env errors, clean stop. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readEmulatorCliConfig } from "../../src/emulator/cli-config.js";
import { DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET } from "../../src/emulator/index.js";
import { postGraphQL, startServerHarness } from "../helpers/server-harness.js";
import { callV3 } from "./signed-call.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

interface Run {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
}

function runCli(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ["--import", "tsx", "src/emulator/cli.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

async function waitForUrl(run: Run): Promise<string> {
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output().stdout);
    if (match?.[1]) return match[1];
    if (run.child.exitCode !== null) throw new Error(`emulator exited: ${run.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("npm run emulator", () => {
  it("prints its URL and the demo pair, serves signed calls, and stops on SIGTERM", async () => {
    const run = runCli({ EMULATOR_PORT: "0", EMULATOR_TASK_SECONDS: "2" });
    const url = await waitForUrl(run);
    const { stdout } = run.output();
    expect(stdout).toContain(DEMO_ACCESS_KEY_ID);
    expect(stdout).toContain(DEMO_ACCESS_KEY_SECRET);
    expect(stdout).toContain("after 2 s");

    const listed = await callV3({ url, accessKeyId: DEMO_ACCESS_KEY_ID, accessKeySecret: DEMO_ACCESS_KEY_SECRET }, "DescribeUserUsageDataExportTask");
    expect(listed.body).toMatchObject({ UsageDataPerPage: { TotalCount: 120 } });

    run.child.kill("SIGTERM");
    const [code] = (await once(run.child, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(run.output().stdout).toContain("emulator stopped");
  });

  it("prints a gateway command that works: finished tasks come with their download", async () => {
    const run = runCli({ EMULATOR_PORT: "0" });
    await waitForUrl(run);
    const command = /^\s*(CDN_ENDPOINT=.*) npm start$/m.exec(run.output().stdout)?.[1];
    expect(command).toBeDefined();
    // The command's variables, as a shell would hand them to `npm start`.
    const env = Object.fromEntries((command ?? "").split(/\s+/).map((pair) => pair.split("=", 2) as [string, string]));
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["CDN_ENDPOINT", "CDN_DOWNLOAD_ORIGINS", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"]));
    const gateway = await startServerHarness({ env: { ...env, LOG_LEVEL: "warn" } });
    try {
      const res = await postGraphQL(gateway.url, "{ tasks(first: 20) { edges { node { taskId status download { ready url } } } } }");
      expect(res.body.errors).toBeUndefined();
      const tasks = (res.body.data as { tasks: { edges: Array<{ node: { status: string; download: { ready: boolean; url: string | null } } }> } }).tasks.edges;
      const finished = tasks.filter((edge) => edge.node.status === "SUCCESS");
      expect(finished.length).toBeGreaterThan(0);
      for (const { node } of finished) {
        expect(node.download.ready).toBe(true);
        expect(node.download.url?.startsWith(`${env["CDN_ENDPOINT"]}/`)).toBe(true);
      }
      expect(gateway.logs.records().filter((r) => r["msg"] === "download URL refused")).toEqual([]);
    } finally {
      await gateway.close();
      run.child.kill("SIGTERM");
      await once(run.child, "exit");
    }
  });

  it("never prints a secret the user supplied", async () => {
    const run = runCli({ EMULATOR_PORT: "0", EMULATOR_ACCESS_KEY_ID: "LTAImine", EMULATOR_ACCESS_KEY_SECRET: "my-own-secret-value" });
    await waitForUrl(run);
    const { stdout } = run.output();
    expect(stdout).toContain("LTAImine");
    expect(stdout).toContain("set from EMULATOR_ACCESS_KEY_SECRET");
    expect(stdout).not.toContain("my-own-secret-value");
    run.child.kill("SIGINT");
    const [code] = (await once(run.child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("stops with one clear message naming a bad variable", async () => {
    const run = runCli({ EMULATOR_PORT: "forty" });
    const [code] = (await once(run.child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(run.output().stderr.trim()).toBe('Invalid configuration: EMULATOR_PORT must be a whole number (got "forty")');
  });
});

describe("readEmulatorCliConfig", () => {
  it("reads defaults and fault rates", () => {
    const config = readEmulatorCliConfig({ EMULATOR_THROTTLE_RATE: "0.25", EMULATOR_5XX_RATE: "1", EMULATOR_LATENCY_MS: "40" });
    expect(config).toMatchObject({
      port: 4010,
      accessKeyId: DEMO_ACCESS_KEY_ID,
      demoCredentials: true,
      taskSeconds: 5,
      quotaPerSecond: 100,
      faults: { latencyMs: 40, throttleRate: 0.25, serverErrorRate: 1, dropRate: 0, malformedRate: 0 },
    });
  });

  it.each([
    [{ EMULATOR_PORT: "70000" }, "EMULATOR_PORT"],
    [{ EMULATOR_TASK_SECONDS: "-1" }, "EMULATOR_TASK_SECONDS"],
    [{ EMULATOR_DROP_RATE: "1.5" }, "EMULATOR_DROP_RATE"],
    [{ EMULATOR_MALFORMED_RATE: "lots" }, "EMULATOR_MALFORMED_RATE"],
    [{ EMULATOR_LATENCY_MS: "1e3" }, "EMULATOR_LATENCY_MS"],
    [{ EMULATOR_ACCESS_KEY_ID: "LTAImine" }, "EMULATOR_ACCESS_KEY_SECRET"],
    [{ EMULATOR_ACCESS_KEY_SECRET: "secret-only" }, "EMULATOR_ACCESS_KEY_ID"],
  ])("names the variable: %o", (env, variable) => {
    expect(() => readEmulatorCliConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
    try {
      readEmulatorCliConfig(env);
    } catch (error) {
      expect(String(error)).not.toContain("secret-only");
    }
  });
});
