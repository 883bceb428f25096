/**
 * Who polls a task when several gateway replicas watch it. The hub asks its coordinator to
 * join a task's group; the coordinator says when this replica should poll (it leads) and hands
 * over updates other replicas published. In one process the only replica always leads.
 */
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
        leave: () => {
          left = true;
          return Promise.resolve();
        },
      };
    },
    close: () => Promise.resolve(),
  };
}
