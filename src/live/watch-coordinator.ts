/**
 * Who polls a task when several gateway replicas watch it. The hub asks its coordinator to
 * join a task's group; the coordinator says when this replica should poll (it leads) and hands
 * over updates other replicas published. In one process the only replica always leads.
 *
 * Tracing: the leader's poll span links to every subscription it serves. The hub hands the
 * coordinator its own subscribers' span contexts (`shareLinks`, only while tracing is on) and,
 * when it polls, asks for the other replicas' (`remoteLinks`); the Redis coordinator carries
 * them between replicas, the local one has no other replica to ask.
 */
import type { SpanContext } from "../observability/spans.js";
import type { TaskKey } from "../reading/entity-scan.js";
import type { TaskUpdate } from "./task-update.js";

export interface WatchGroupHandlers {
  /** This replica became (true) or stopped being (false) the one that polls the task. */
  onLeadership(leading: boolean): void;
  /** An update another replica read (or the last one it stored, on joining). */
  onUpdate(update: TaskUpdate): void;
}

export interface WatchMembership {
  /**
   * The leader's poll result. `changed`: it differs from the previous one (only then do other
   * replicas need a message; the stored latest state is refreshed on every poll).
   */
  publish(update: TaskUpdate, changed: boolean): void;
  /**
   * This replica's subscribers of the task (their subscribing spans, at most 32), for the poll
   * spans of whichever replica polls; called again whenever they change, `[]` when none is traced.
   */
  shareLinks(links: readonly SpanContext[]): void;
  /** The subscribers other replicas shared, for this replica's poll span; `[]` when unknown in time. */
  remoteLinks(): Promise<SpanContext[]>;
  /** Leave the group: stop leading, stop listening. */
  leave(): Promise<void>;
}

export interface WatchCoordinator {
  readonly mode: "local" | "redis";
  join(key: TaskKey, handlers: WatchGroupHandlers): WatchMembership;
  close(): Promise<void>;
}

/** One replica: it leads every task it watches, at once, and nothing needs publishing. */
export function createLocalCoordinator(): WatchCoordinator {
  return {
    mode: "local",
    join(_key, handlers) {
      let left = false;
      queueMicrotask(() => {
        if (!left) handlers.onLeadership(true);
      });
      return {
        publish: () => undefined,
        shareLinks: () => undefined,
        remoteLinks: () => Promise.resolve([]),
        leave: () => {
          left = true;
          return Promise.resolve();
        },
      };
    },
    close: () => Promise.resolve(),
  };
}
