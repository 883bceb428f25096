/** Prometheus view of the task watches: subscribers now, polls by outcome (bounded labels). */
import { Counter, Gauge, type Registry } from "prom-client";
import type { TaskWatchObserver } from "./task-watch-hub.js";

export function taskWatchMetrics(registry: Registry, prefix = "cdn_gateway_"): TaskWatchObserver {
  const subscribers = new Gauge({
    name: `${prefix}live_subscribers`,
    help: "exportTaskUpdated subscriptions open on this replica.",
    registers: [registry],
  });
  const polls = new Counter({
    name: `${prefix}live_polls_total`,
    help: "Task status polls this replica made for subscriptions, by outcome (changed, unchanged, failed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of ["changed", "unchanged", "failed"] as const) polls.labels({ outcome }).inc(0);
  return {
    onPoll: ({ outcome }) => polls.labels({ outcome }).inc(),
    onSubscribers: (count) => subscribers.set(count),
  };
}
