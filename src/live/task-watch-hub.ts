/**
 * Live task status: every subscriber of one task (kind + taskId) shares one watch, and a watch
 * polls only while this replica leads it (always, without Redis). The first event a subscriber
 * gets is the task's current state; after that only changes; the stream completes after SUCCESS
 * or FAILED, or with an error when the task is not (or no longer) listed. The last subscriber
 * leaving stops the poll; `close()` (shutdown) completes every stream.
 *
 * A failed read before anything was delivered ends the watch with that error (the client sees
 * e.g. UPSTREAM_THROTTLED and may resubscribe); once a state was delivered, a failed read is
 * logged and retried on the backoff schedule, so a blip does not end anyone's stream.
 */
import { AsyncResource } from "node:async_hooks";
import { Repeater } from "graphql-yoga";
import type { TaskKey } from "../reading/entity-scan.js";
import { DEFAULT_POLL_INTERVALS, startTaskPoller, type PollIntervals, type Sleep, type TaskPoller } from "./task-poller.js";
import { tracingActive, type SpanContext } from "../observability/spans.js";
import { firstLinks, subscriptionLink, tracePoll } from "./poll-span.js";
import type { TaskReader } from "./task-reader.js";
import { errorUpdate, fingerprint, isFinal, notFoundUpdate, type TaskUpdate } from "./task-update.js";
import { createLocalCoordinator, type WatchCoordinator, type WatchMembership } from "./watch-coordinator.js";

export interface TaskWatchStats {
  /** Tasks with at least one subscriber on this replica. */
  tasks: number;
  subscribers: number;
  /** Watches this replica is polling for (the others follow another replica's polls). */
  pollers: number;
  /** Polls made since start. */
  polls: number;
}

/** The shared watches; context.ts's `TaskWatcher` is what resolvers see of it. */
export interface TaskWatchHub {
  /** The task's updates; ending the iteration (client gone) unsubscribes. */
  watch(key: TaskKey): AsyncGenerator<TaskUpdate>;
  stats(): TaskWatchStats;
  /** Completes every stream, stops every poll, leaves every group. Idempotent. */
  close(): Promise<void>;
}

export interface TaskWatchObserver {
  onPoll?(event: { outcome: "changed" | "unchanged" | "failed" }): void;
  onSubscribers?(count: number): void;
}

export interface TaskWatchHubOptions extends Partial<PollIntervals> {
  read: TaskReader;
  /** Default: local (this process polls everything it watches). */
  coordinator?: WatchCoordinator;
  sleep?: Sleep;
  observer?: TaskWatchObserver;
  /** A read that failed after the first delivery (the watch carries on). */
  onPollError?: (error: unknown, key: TaskKey) => void;
}

interface Subscriber {
  deliver(update: TaskUpdate): void;
  end(): void;
  /** The subscribing operation's span: polls link to it. */
  link: SpanContext | null;
}

export function createTaskWatchHub(options: TaskWatchHubOptions): TaskWatchHub {
  const intervals: PollIntervals = {
    minIntervalMs: options.minIntervalMs ?? DEFAULT_POLL_INTERVALS.minIntervalMs,
    maxIntervalMs: Math.max(options.maxIntervalMs ?? DEFAULT_POLL_INTERVALS.maxIntervalMs, options.minIntervalMs ?? 0),
  };
  const coordinator = options.coordinator ?? createLocalCoordinator();
  const observer = options.observer ?? {};
  const watches = new Map<string, TaskWatch>();
  let polls = 0;
  let closed = false;

  // A watch outlives the request that started it and serves others: it is created (and so polls
  // and logs) in the hub's own async context, not in the first subscriber's request.
  const outsideRequests = AsyncResource.bind((start: () => TaskWatch): TaskWatch => start());

  const subscriberCount = (): number => [...watches.values()].reduce((sum, w) => sum + w.subscribers.size, 0);
  const reportSubscribers = (): void => observer.onSubscribers?.(subscriberCount());

  class TaskWatch {
    readonly subscribers = new Set<Subscriber>();
    latest: TaskUpdate | null = null;
    #fingerprint: string | null = null;
    #poller: TaskPoller | null = null;
    #finished = false;
    readonly #membership: WatchMembership;

    constructor(readonly key: TaskKey) {
      this.#membership = coordinator.join(key, {
        onLeadership: (leading) => (leading ? this.#startPolling() : this.#stopPolling()),
        onUpdate: (update) => {
          this.apply(update);
        },
      });
    }

    get polling(): boolean {
      return this.#poller !== null;
    }

    add(subscriber: Subscriber): void {
      this.subscribers.add(subscriber);
      this.#shareLinks();
      // Joining a watch that already knows the state: that is the first event, no read needed.
      if (this.latest !== null) subscriber.deliver(this.latest);
    }

    remove(subscriber: Subscriber): void {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.finish();
      else this.#shareLinks();
    }

    /** Delivers `update` if it changes what subscribers know; true when it did. */
    apply(update: TaskUpdate): boolean {
      if (this.#finished) return false;
      if (update.type === "error") {
        for (const s of this.subscribers) s.deliver(update);
        this.finish();
        return true;
      }
      const print = fingerprint(update.task);
      const changed = print !== this.#fingerprint;
      if (changed) {
        this.#fingerprint = print;
        this.latest = update;
        for (const s of this.subscribers) s.deliver(update);
      }
      if (isFinal(update.task)) this.finish();
      return changed;
    }

    finish(): void {
      if (this.#finished) return;
      this.#finished = true;
      if (watches.get(keyOf(this.key)) === this) watches.delete(keyOf(this.key));
      this.#stopPolling();
      for (const s of this.subscribers) s.end();
      this.subscribers.clear();
      void this.#membership.leave();
      reportSubscribers();
    }

    /** The first subscribers' spans (only as many as a poll links to, however many subscribe). */
    #links(): SpanContext[] {
      return firstLinks(linksOf(this.subscribers));
    }

    /** Whichever replica polls links to this one's subscribers too (leaving the group unshares them). */
    #shareLinks(): void {
      if (tracingActive() && !this.#finished) this.#membership.shareLinks(this.#links());
    }

    #startPolling(): void {
      if (this.#finished || this.#poller !== null) return;
      this.#poller = startTaskPoller({ ...intervals, ...(options.sleep ? { sleep: options.sleep } : {}), poll: (signal) => this.#poll(signal) });
    }

    #stopPolling(): void {
      this.#poller?.stop();
      this.#poller = null;
    }

    async #poll(signal: AbortSignal): Promise<boolean> {
      let update: TaskUpdate;
      try {
        const task = await tracePoll(
          this.key,
          () => this.#links(),
          () => this.#membership.remoteLinks(),
          () => options.read(this.key, signal),
        );
        update = task === null ? notFoundUpdate(this.key) : { type: "task", task };
      } catch (error) {
        if (signal.aborted) return false;
        polls += 1;
        observer.onPoll?.({ outcome: "failed" });
        // Subscribers already hold a state: keep it and try again later.
        if (this.latest !== null) {
          options.onPollError?.(error, this.key);
          return false;
        }
        this.#settle(errorUpdate(error), true);
        return true;
      }
      if (signal.aborted) return false;
      polls += 1;
      const changed = update.type === "error" || fingerprint(update.task) !== this.#fingerprint;
      observer.onPoll?.({ outcome: changed ? "changed" : "unchanged" });
      this.#settle(update, changed);
      return changed;
    }

    #settle(update: TaskUpdate, changed: boolean): void {
      // Publish before applying: a final update ends the watch and leaves the group.
      this.#membership.publish(update, changed);
      this.apply(update);
    }
  }

  return {
    watch(key) {
      const link = subscriptionLink();
      return new Repeater<TaskUpdate>(async (push, stop) => {
        if (closed) {
          stop();
          return;
        }
        const id = keyOf(key);
        let watch = watches.get(id);
        if (watch === undefined) {
          watch = outsideRequests(() => new TaskWatch(key));
          watches.set(id, watch);
        }
        const subscriber: Subscriber = {
          // Repeater buffers pushes, so updates delivered before `end` still reach the client.
          deliver: (update) => {
            push(update).catch(() => undefined);
          },
          end: () => stop(),
          link,
        };
        watch.add(subscriber);
        reportSubscribers();
        await stop;
        watch.remove(subscriber);
        reportSubscribers();
      });
    },
    stats() {
      const all = [...watches.values()];
      return { tasks: all.length, subscribers: subscriberCount(), pollers: all.filter((w) => w.polling).length, polls };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const watch of [...watches.values()]) watch.finish();
      await coordinator.close();
    },
  };
}

function* linksOf(subscribers: Iterable<Subscriber>): Generator<SpanContext | null> {
  for (const subscriber of subscribers) yield subscriber.link;
}

function keyOf(key: TaskKey): string {
  return `${key.kind}\u0000${key.taskId}`;
}
