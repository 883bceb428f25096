/**
 * The process entry as `npm run dev` runs it (node + tsx): start-up log lines, /ready,
 * SIGTERM → graceful exit 0, and bad configuration → one line on stderr, exit 1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const children: ChildProcess[] = [];

function startMain(env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    // Only what the gateway needs: no credentials from the developer's shell leak in.
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", PORT: "0", METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  return { child, stdout: () => out, stderr: () => err };
}

async function waitForLine(read: () => string, pattern: RegExp, child: ChildProcess): Promise<RegExpExecArray> {
  for (let i = 0; i < 1500; i++) {
    const hit = pattern.exec(read());
    if (hit) return hit;
    if (child.exitCode !== null) throw new Error(`process exited early:\n${read()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no line matching ${pattern}:\n${read()}`);
}

/** A port free a moment ago on 127.0.0.1, so the test can knock before any log line names it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("src/main.ts", () => {
  it("with no credentials: one emulator log line, serves data, exits 0 on SIGTERM", async () => {
    const main = startMain({});
    const listening = await waitForLine(main.stdout, /"url":"(http:\/\/127\.0\.0\.1:\d+\/graphql)".*"msg":"gateway listening"/, main.child);
    const url = listening[1]!;
    const lines = main.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const emulatorLines = lines.filter((l) => typeof l.msg === "string" && /emulator/i.test(l.msg));
    expect(emulatorLines).toHaveLength(1);
    expect(emulatorLines[0]?.emulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const base = url.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ tasks(first: 2) { edges { node { taskId } } } }" }) });
    const body = (await res.json()) as { data: { tasks: { edges: Array<{ node: { taskId: string } }> } } };
    expect(body.data.tasks.edges).toHaveLength(2);

    main.child.kill("SIGTERM");
    const [code] = (await once(main.child, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(main.stdout()).toContain('"msg":"shut down"');
  });

  it("the start-up lines are out before the server answers (stdout is not held back)", async () => {
    const port = await freePort();
    const main = startMain({ HOST: "127.0.0.1", PORT: String(port) });
    let answered = false;
    for (let i = 0; i < 3000 && !answered; i++) {
      if (main.child.exitCode !== null) throw new Error(`process exited early:\n${main.stdout()}${main.stderr()}`);
      answered = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (!answered) await new Promise((r) => setTimeout(r, 5));
    }
    expect(answered).toBe(true);
    // What the child wrote before it answered is in the pipe already; give the reader a turn.
    await new Promise((r) => setTimeout(r, 50));
    expect(main.stdout()).toMatch(/"msg":"No ALIBABA_CLOUD_ACCESS_KEY_ID\/SECRET set: using the embedded CDN export emulator/);
    expect(main.stdout()).toContain('"msg":"gateway listening"');
  });

  it("bad configuration: one line naming the variable on stderr, exit 1, no secret echoed", async () => {
    const main = startMain({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: "canary-secret-value-123" });
    const [code] = (await once(main.child, "exit")) as [number | null];
    expect(code).toBe(1);
    const stderr = main.stderr().trim();
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toContain("ALIBABA_CLOUD_ACCESS_KEY_ID");
    expect(stderr).not.toContain("canary-secret-value-123");
    expect(main.stdout()).toBe("");
  });

  it("refuses the real upstream without authentication", async () => {
    const main = startMain({ ALIBABA_CLOUD_ACCESS_KEY_ID: "LTAIsomething", ALIBABA_CLOUD_ACCESS_KEY_SECRET: "s3cr3t-value", CDN_ENDPOINT: "http://127.0.0.1:9" });
    const [code] = (await once(main.child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(main.stderr()).toContain("GATEWAY_AUTH");
  });
});
