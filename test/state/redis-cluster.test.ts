/**
 * Two gateway replicas on a real three-node Redis Cluster (`REDIS_CLUSTER_NODES`; nodes made
 * with `redis-cli --cluster create`): every script runs (a script whose keys sat in two slots
 * would fail with CROSSSLOT), the keys a script touches share one slot, pub/sub (classic, which
 * a Cluster forwards to every node) reaches every replica whichever node publishes, and the
 * shared state behaves as on one Redis.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { RunningEmulator } from "../../src/emulator/types.js";
import type { Invalidation } from "../../src/state/invalidation-bus.js";
import { permitStoreKeys } from "../../src/state/quota/redis-permit-store.js";
import { uniquePrefix } from "../helpers/redis.js";
import { redisServerAvailable, startRedisCluster, type RedisCluster } from "../helpers/redis-servers.js";
import { postGraphQL, startServerHarness, type ServerHarness } from "../helpers/server-harness.js";

const available = redisServerAvailable();
const API_KEY = "cluster-test-key-8d1e44b7";
const auth = { authorization: `Bearer ${API_KEY}` };
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const NOW = Date.now();
const CREATE = "mutation Create($i: CreateUsageExportInput!) { createUsageExport(input: $i) { taskId } }";
const TASKS = "query Tasks { tasks(first: 5) { totalCount edges { node { taskId } } } }";
const DESCRIBE = "DescribeUserUsageDetailDataExportTask";

describe.skipIf(!available)("two replicas on a three-node Redis Cluster", () => {
  let cluster: RedisCluster;
  let emulator: RunningEmulator;
  let a: ServerHarness;
  let b: ServerHarness;
  const prefix = uniquePrefix("cluster");

  beforeAll(async () => {
    cluster = await startRedisCluster();
    emulator = await startEmulator({ port: 0, historySize: { USAGE_DETAIL: 20, USER_USAGE: 0 }, taskSeconds: 600 });
    const env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
      CDN_ENDPOINT: emulator.url,
      REDIS_CLUSTER_NODES: cluster.addresses.map(({ host, port }) => `${host}:${port}`).join(","),
      REDIS_KEY_PREFIX: prefix,
      CDN_CACHE_TTL_MS: "60000",
      GATEWAY_API_KEYS: JSON.stringify([{ name: "t", key: API_KEY, scopes: ["export:read", "export:create"] }]),
    };
    [a, b] = await Promise.all([startServerHarness({ env }), startServerHarness({ env })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await emulator?.close();
    await cluster?.dispose();
  });

  it("both replicas run on the Cluster and report it ready", async () => {
    expect([a.state.redis?.mode, b.state.redis?.mode]).toEqual(["cluster", "cluster"]);
    for (const h of [a, b]) {
      const ready = await fetch(`${h.base}/ready`);
      expect(await ready.json()).toEqual({ status: "ready", checks: { upstream: "ok", redis: "ok" } });
    }
  });

  it("a page one replica read is answered to the other from the Cluster; a create is in the next read on both", async () => {
    emulator.resetStats();
    const first = await postGraphQL(a.url, TASKS, { headers: auth });
    expect(first.body.errors).toBeUndefined();
    const second = await postGraphQL(b.url, TASKS, { headers: auth });
    expect(second.body.data).toEqual(first.body.data);
    expect(emulator.stats().calls[DESCRIBE]).toBe(1);

    const input = { type: "FLOW", startTime: iso(NOW - 6 * DAY), endTime: iso(NOW - 5 * DAY), idempotencyKey: randomUUID() };
    const created = await postGraphQL(a.url, CREATE, { headers: auth, variables: { i: input } });
    const taskId = (created.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
    const onB = await postGraphQL(b.url, TASKS, { headers: auth });
    expect((onB.body.data as { tasks: { edges: Array<{ node: { taskId: string } }> } }).tasks.edges[0]?.node.taskId).toBe(taskId);
    // The same key on the other replica replays the task: one upstream create.
    const again = await postGraphQL(b.url, CREATE, { headers: auth, variables: { i: input } });
    expect((again.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId).toBe(taskId);
    expect(emulator.stats().calls["CreateUsageDetailDataExportTask"]).toBe(1);
  });

  it("keeps each script's keys in one slot: the quota's keys, and each kind's page keys", async () => {
    const admin = cluster.nodes[0]?.admin();
    if (admin === undefined) throw new Error("no node");
    const slot = async (key: string): Promise<number> => Number(await admin.call("CLUSTER", "KEYSLOT", key));
    const quota = permitStoreKeys(`${prefix}quota`);
    const quotaSlots = new Set(await Promise.all([quota.permits, quota.pacing, quota.replicas].map(slot)));
    expect(quotaSlots.size).toBe(1);
    // What the replicas wrote: every key of the page tier carries its kind's tag.
    const written: string[] = [];
    for (const node of cluster.nodes) written.push(...(await node.admin().keys(`*${prefix}*`)));
    const pageKeys = written.filter((key) => key.includes("reads:USAGE_DETAIL"));
    expect(pageKeys.length).toBeGreaterThanOrEqual(2); // the generation and a page at least
    expect(new Set(await Promise.all(pageKeys.map(slot))).size).toBe(1);
    // Both replicas' presence, in the quota's slot.
    expect(written).toContain(quota.replicas);
  });

  it("pub/sub reaches every replica whichever node publishes (classic pub/sub, forwarded across the Cluster)", async () => {
    const received: Invalidation[] = [];
    const unsubscribeA = a.state.bus.subscribe((change) => received.push(change));
    const unsubscribeB = b.state.bus.subscribe((change) => received.push(change));
    for (const node of cluster.nodes) await node.admin().publish(`${prefix}page-invalidation`, "USER_USAGE");
    await expect.poll(() => received.length, { timeout: 3_000 }).toBe(6);
    expect(received).toEqual(Array.from({ length: 6 }, () => ({ kind: "USER_USAGE" })));
    unsubscribeA();
    unsubscribeB();
  });
});
