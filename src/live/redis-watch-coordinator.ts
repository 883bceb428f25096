/**
 * Task watches across replicas (`REDIS_URL`): per task, one replica polls and the others listen.
 *
 * - Lease: `<prefix>lease:<kind>:<taskId>`, taken with an atomic get-or-set (`PX leaseMs`) and
 *   renewed every `leaseMs / 3` while the replica has subscribers of the task. A replica that
 *   holds it polls; the others retry it on the same tick, so when the leader leaves (last
 *   subscriber gone: it deletes the lease) or dies (the lease lapses) another one takes over.
 * - Updates: the leader PUBLISHes every change on `<prefix>updates:<kind>:<taskId>` and keeps
 *   the latest state in `<prefix>state:<kind>:<taskId>` (`PX stateTtlMs`), which a replica that
 *   joins as a follower reads for its subscribers' first event. It SUBSCRIBEs before reading, and
 *   the leader stores before publishing, so no change can fall between the two.
 * - Redis unreachable: a replica that cannot ask for the lease polls on its own (each replica
 *   then polls its own watches) rather than leaving its subscribers without updates.
 * - Span links (only while tracing: the hub calls `shareLinks` / `remoteLinks` only then, so
 *   without tracing no command here touches them): every replica with traced subscribers of a
 *   task keeps a field in `<prefix>links:<kind>:<taskId>` (a hash, field = replica id, value =
 *   `<expiresAtMs> <traceparent> …`, poll-span.ts), written when its subscribers change,
 *   rewritten every `leaseMs` on the lease tick and deleted when it leaves; the key's own expiry
 *   follows the last write. Each field expires `3 × leaseMs` after it was written (the writer's
 *   clock, read by the leader's: they agree far better than that), so a replica that died stops
 *   being linked. The leader reads the hash before each poll (HGETALL, at most
 *   `linkReadTimeoutMs`: a slow Redis costs the span its remote links, not the poll its time).
 *
 * The connections belong to the caller (shared state); `close()` only leaves the groups.
 */
import { randomUUID } from "node:crypto";
import type { SpanContext } from "../observability/spans.js";
import type { RedisClient } from "../state/redis.js";
import type { TaskKey } from "../reading/entity-scan.js";
import { linkEntry, readLinkEntries } from "./poll-span.js";
import { parseUpdate, type TaskUpdate } from "./task-update.js";
import type { WatchCoordinator, WatchGroupHandlers, WatchMembership } from "./watch-coordinator.js";

export interface RedisWatchCoordinatorOptions {
  /** Command connection (lease, state, PUBLISH). */
  commands: RedisClient;
  /** Connection in subscriber mode (may be shared with other channels). */
  subscriber: RedisClient;
  /** e.g. `cdn-export-gateway:task-watch:`; replicas sharing it share watches. */
  keyPrefix: string;
  /** Lease lifetime; a dead leader is replaced within about this long. Default 5000. */
  leaseMs?: number;
  /** How long the latest state is kept; longer than the longest poll interval. Default 60000. */
  stateTtlMs?: number;
  /** Identifies this replica in messages; default a random UUID. */
  replicaId?: string;
  /** How long a poll waits for the other replicas' span links before it goes without. Default 100. */
  linkReadTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

/** 1 when `ARGV[1]` holds the lease now (renewed or newly taken), 0 when another replica does. */
const ACQUIRE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

/** One replica's links, and the hash kept while any replica's are in it. */
const SHARE_LINKS = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('PEXPIRE', KEYS[1], ARGV[3])`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createRedisWatchCoordinator(options: RedisWatchCoordinatorOptions): WatchCoordinator {
  const { commands, subscriber, keyPrefix } = options;
  const leaseMs = options.leaseMs ?? 5_000;
  const stateTtlMs = options.stateTtlMs ?? 60_000;
  const replicaId = options.replicaId ?? randomUUID();
  const linkTtlMs = 3 * leaseMs;
  const linkReadTimeoutMs = options.linkReadTimeoutMs ?? 100;
  const onError = options.onError ?? (() => undefined);
  const groups = new Map<string, Group>();

  const onMessage = (channel: string, message: string): void => {
    const group = groups.get(channel);
    const newline = message.indexOf("\n");
    if (group === undefined || newline < 0 || message.slice(0, newline) === replicaId) return;
    const update = parseUpdate(message.slice(newline + 1));
    if (update !== null) group.receive(update);
  };
  subscriber.on("message", onMessage);

  class Group implements WatchMembership {
    readonly #names: { lease: string; state: string; channel: string; links: string };
    #leading = false;
    #left = false;
    #timer: NodeJS.Timeout | null = null;
    /** What this replica's field holds (`[]`: it has none) and when it was written. */
    #links: readonly SpanContext[] = [];
    #linksWrittenAt = 0;

    constructor(
      key: TaskKey,
      private readonly handlers: WatchGroupHandlers,
    ) {
      const suffix = `${key.kind}:${key.taskId}`;
      this.#names = {
        lease: `${keyPrefix}lease:${suffix}`,
        state: `${keyPrefix}state:${suffix}`,
        channel: `${keyPrefix}updates:${suffix}`,
        links: `${keyPrefix}links:${suffix}`,
      };
    }

    get channel(): string {
      return this.#names.channel;
    }

    async start(): Promise<void> {
      const subscribed = subscriber.subscribe(this.#names.channel).then(
        () => true,
        (error: unknown) => {
          onError(error);
          return false;
        },
      );
      await this.#tick();
      this.#timer = setInterval(() => void this.#tick(), Math.max(10, Math.floor(leaseMs / 3)));
      this.#timer.unref();
      if (this.#leading || this.#left || !(await subscribed)) return;
      const stored = await commands.get(this.#names.state).catch((error: unknown) => {
        onError(error);
        return null;
      });
      const update = stored === null ? null : parseUpdate(stored);
      if (update !== null && !this.#left) this.handlers.onUpdate(update);
    }

    receive(update: TaskUpdate): void {
      if (!this.#left) this.handlers.onUpdate(update);
    }

    publish(update: TaskUpdate, changed: boolean): void {
      if (this.#left) return;
      const json = JSON.stringify(update);
      // Errors are news, not a state to hand to later joiners (they poll for themselves).
      if (update.type === "task") commands.set(this.#names.state, json, "PX", stateTtlMs).catch(onError);
      if (changed) commands.publish(this.#names.channel, `${replicaId}\n${json}`).catch(onError);
    }

    shareLinks(links: readonly SpanContext[]): void {
      if (this.#left || sameLinks(links, this.#links)) return;
      const had = this.#links.length > 0;
      this.#links = [...links];
      if (this.#links.length > 0) this.#writeLinks();
      else if (had) commands.hdel(this.#names.links, replicaId).catch(onError);
    }

    async remoteLinks(): Promise<SpanContext[]> {
      if (this.#left) return [];
      const read = commands.hgetall(this.#names.links).then(
        (entries) => readLinkEntries(entries, replicaId, Date.now()),
        (error: unknown) => {
          onError(error);
          return [];
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<SpanContext[]>((resolve) => {
        timer = setTimeout(() => resolve([]), linkReadTimeoutMs);
      });
      try {
        return await Promise.race([read, late]);
      } finally {
        clearTimeout(timer);
      }
    }

    leave(): Promise<void> {
      if (this.#left) return Promise.resolve();
      this.#left = true;
      if (this.#timer !== null) clearInterval(this.#timer);
      if (groups.get(this.#names.channel) === this) groups.delete(this.#names.channel);
      // Issued now, in order: a later join of the same task on this replica re-subscribes after.
      const pending: Promise<unknown>[] = [];
      if (this.#leading) pending.push(commands.eval(RELEASE, 1, this.#names.lease, replicaId).catch(onError));
      if (this.#links.length > 0) pending.push(commands.hdel(this.#names.links, replicaId).catch(onError));
      this.#links = [];
      if (!groups.has(this.#names.channel)) pending.push(subscriber.unsubscribe(this.#names.channel).catch(onError));
      this.#leading = false;
      return Promise.all(pending).then(() => undefined);
    }

    #writeLinks(): void {
      this.#linksWrittenAt = Date.now();
      const entry = linkEntry(this.#links, this.#linksWrittenAt + linkTtlMs);
      commands.eval(SHARE_LINKS, 1, this.#names.links, replicaId, entry, String(linkTtlMs)).catch(onError);
    }

    async #tick(): Promise<void> {
      if (this.#left) return;
      if (this.#links.length > 0 && Date.now() - this.#linksWrittenAt >= leaseMs) this.#writeLinks();
      let held: boolean;
      try {
        held = (await commands.eval(ACQUIRE_OR_RENEW, 1, this.#names.lease, replicaId, String(leaseMs))) === 1;
      } catch (error) {
        onError(error);
        held = true; // cannot coordinate: poll alone rather than not at all
      }
      if (this.#left) {
        if (held) commands.eval(RELEASE, 1, this.#names.lease, replicaId).catch(onError);
        return;
      }
      if (held !== this.#leading) {
        this.#leading = held;
        this.handlers.onLeadership(held);
      }
    }
  }

  return {
    mode: "redis",
    join(key, handlers) {
      const group = new Group(key, handlers);
      groups.set(group.channel, group);
      void group.start();
      return group;
    },
    async close() {
      await Promise.all([...groups.values()].map((group) => group.leave()));
      subscriber.off("message", onMessage);
    },
  };
}

function sameLinks(a: readonly SpanContext[], b: readonly SpanContext[]): boolean {
  return a.length === b.length && a.every((link, i) => link.spanId === b[i]?.spanId && link.traceId === b[i]?.traceId);
}
