/**
 * A redis-server of the case's own on a free loopback port (Debian's `redis-server`), so a case
 * can stop it mid-run without touching anyone else's Redis. No persistence, no config file.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";

export interface RedisServerProcess {
  readonly url: string;
  /** SIGKILL: Redis gone as in a crash; every connection drops at once. */
  kill(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServerProcess> {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
  }
  const port = await freePort();
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await exited;
  };
  const deadline = performance.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, kill };
    } catch {
      probe.disconnect();
      if (performance.now() > deadline) {
        await kill();
        throw new Error(`redis-server did not answer on port ${port}`);
      }
      await sleep(20);
    }
  }
}
