/**
 * Real Redis deployments for tests, started from Debian's `redis-server` on free loopback ports,
 * each with its own directory and configuration in a temporary directory:
 * - `startRedisServer`: one plain server (to pause, slow down or stop without touching :6379),
 *   or a replica of one;
 * - `startSentinelSet`: a primary, a replica and three sentinels (quorum 2) watching them;
 * - `startRedisCluster`: three primaries joined with `redis-cli --cluster create --cluster-yes`.
 * Without `redis-server` the suites that need these skip, unless `REQUIRE_REDIS=1` (CI).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether redis-server (and redis-cli, for the cluster) can be run here. */
export function redisServerAvailable(): boolean {
  const found = ["redis-server", "redis-cli"].every((binary) => spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0);
  if (!found && process.env["REQUIRE_REDIS"] === "1") throw new Error("REQUIRE_REDIS=1 but redis-server/redis-cli are not installed");
  return found;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A loopback port free now, and (for Cluster nodes) its bus port (+10000) too. */
async function freePort(withBus = false): Promise<number> {
  for (;;) {
    const port = withBus ? 20_000 + Math.floor(Math.random() * 30_000) : 0;
    const bound = await bindable(port);
    if (bound !== null && (!withBus || (await bindable(bound + 10_000)) !== null)) return bound;
  }
}

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : null));
    });
  });
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** An admin connection (created on first use, closed by stop). */
  admin(): Redis;
  /** SIGKILL: the server dies as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after kill). */
  restart(): Promise<void>;
  /** SIGSTOP: the server answers nobody, its replication link included, until `resume`. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  stop(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function ping(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } finally {
    probe.disconnect();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** One redis-server (or sentinel, with `--sentinel` and a config file) in `dir`. */
async function launch(port: number, dir: string, args: readonly string[]): Promise<RedisProcess> {
  let child: ChildProcess | null = null;
  let admin: Redis | null = null;
  const start = async (): Promise<void> => {
    const started = spawn("redis-server", [...args], { cwd: dir, stdio: "ignore" });
    running.add(started);
    started.once("exit", () => running.delete(started));
    child = started;
    await waitFor(() => ping(port), `redis on port ${port}`);
  };
  await start();
  const kill = async (): Promise<void> => {
    const current = child;
    child = null;
    if (current === null) return;
    current.kill("SIGKILL");
    await exited(current);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    admin() {
      if (admin === null) {
        admin = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: () => 50 });
        admin.on("error", () => undefined);
      }
      return admin;
    },
    kill,
    restart: start,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    async stop() {
      admin?.disconnect();
      admin = null;
      await kill();
    },
  };
}

const SERVER_ARGS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"];

function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `cdn-gw-${name}-`));
}

/** One plain server; with `replicaOf`, a replica of that server, returned once it has synced. */
export async function startRedisServer(options: { replicaOf?: RedisProcess } = {}): Promise<RedisProcess & { dispose(): Promise<void> }> {
  const dir = tempDir("redis");
  const port = await freePort();
  const replication = options.replicaOf === undefined ? [] : ["--replicaof", "127.0.0.1", String(options.replicaOf.port)];
  const server = await launch(port, dir, ["--port", String(port), ...SERVER_ARGS, ...replication]);
  if (options.replicaOf !== undefined) {
    await waitFor(async () => (await server.admin().info("replication")).includes("master_link_status:up"), "the replica to sync");
  }
  return {
    ...server,
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SentinelSet {
  readonly name: string;
  readonly primary: RedisProcess;
  readonly replica: RedisProcess;
  readonly sentinels: readonly RedisProcess[];
  /** `host:port` of each sentinel, as REDIS_SENTINELS takes them. */
  readonly sentinelAddresses: { host: string; port: number }[];
  /** The port the sentinels now name as primary. */
  currentPrimaryPort(): Promise<number>;
  /** Kills the primary and waits until the sentinels have promoted the replica. */
  failOver(): Promise<void>;
  dispose(): Promise<void>;
}

/** A primary, a replica and three sentinels (quorum 2, primary down after 1 s of silence). */
export async function startSentinelSet(name = "mymaster"): Promise<SentinelSet> {
  const dir = tempDir("sentinel");
  const started: RedisProcess[] = [];
  try {
    return await watchedPair(dir, name, started);
  } catch (error) {
    // Half started: nothing may outlive the suite.
    for (const server of started) await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function watchedPair(dir: string, name: string, started: RedisProcess[]): Promise<SentinelSet> {
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const serverDir = (label: string): string => {
    const path = join(dir, label);
    mkdirSync(path);
    return path;
  };
  const primary = await launch(primaryPort, serverDir("primary"), ["--port", String(primaryPort), ...SERVER_ARGS]);
  started.push(primary);
  const replica = await launch(replicaPort, serverDir("replica"), ["--port", String(replicaPort), ...SERVER_ARGS, "--replicaof", "127.0.0.1", String(primaryPort)]);
  started.push(replica);
  await waitFor(async () => (await replica.admin().info("replication")).includes("master_link_status:up"), "the replica to sync");
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i += 1) {
    const port = await freePort();
    const home = serverDir(`sentinel-${i}`);
    const config = join(home, "sentinel.conf");
    writeFileSync(
      config,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        "protected-mode no",
        `dir ${home}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
    const sentinel = await launch(port, home, [config, "--sentinel"]);
    started.push(sentinel);
    sentinels.push(sentinel);
  }
  // Ready for a failover once every sentinel knows the replica and the two other sentinels.
  for (const sentinel of sentinels) {
    await waitFor(async () => {
      const replicas = (await sentinel.admin().call("SENTINEL", "REPLICAS", name)) as unknown[];
      const peers = (await sentinel.admin().call("SENTINEL", "SENTINELS", name)) as unknown[];
      return replicas.length === 1 && peers.length === 2;
    }, "the sentinels to know each other and the replica");
  }
  const currentPrimaryPort = async (): Promise<number> => {
    const [sentinel] = sentinels;
    if (sentinel === undefined) throw new Error("no sentinel");
    const address = (await sentinel.admin().call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[];
    return Number(address[1]);
  };
  return {
    name,
    primary,
    replica,
    sentinels,
    sentinelAddresses: sentinels.map((sentinel) => ({ host: "127.0.0.1", port: sentinel.port })),
    currentPrimaryPort,
    async failOver() {
      await primary.kill();
      await waitFor(async () => (await currentPrimaryPort()) === replicaPort, "the sentinels to promote the replica", 30_000);
      await waitFor(async () => {
        const role: unknown = await replica.admin().call("ROLE");
        return Array.isArray(role) && role[0] === "master";
      }, "the replica to act as primary");
    },
    async dispose() {
      for (const server of [...sentinels, replica, primary]) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly nodes: readonly RedisProcess[];
  /** `host:port` of each node, as REDIS_CLUSTER_NODES takes them. */
  readonly addresses: { host: string; port: number }[];
  dispose(): Promise<void>;
}

/** Three primaries (no replicas), slots spread by `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = tempDir("cluster");
  const nodes: RedisProcess[] = [];
  try {
    return await joinCluster(dir, nodes);
  } catch (error) {
    // Half started: nothing may outlive the suite.
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function joinCluster(dir: string, nodes: RedisProcess[]): Promise<RedisCluster> {
  for (let i = 0; i < 3; i += 1) {
    const port = await freePort(true);
    const home = join(dir, String(port));
    mkdirSync(home);
    nodes.push(
      await launch(port, home, ["--port", String(port), ...SERVER_ARGS, "--cluster-enabled", "yes", "--cluster-config-file", join(home, "nodes.conf"), "--cluster-node-timeout", "2000"]),
    );
  }
  const create = spawnSync("redis-cli", ["--cluster", "create", ...nodes.map((node) => `127.0.0.1:${node.port}`), "--cluster-replicas", "0", "--cluster-yes"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  for (const node of nodes) {
    await waitFor(async () => String(await node.admin().call("CLUSTER", "INFO")).includes("cluster_state:ok"), "the cluster to be ok");
  }
  return {
    nodes,
    addresses: nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
    async dispose() {
      for (const node of nodes) await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
