/**
 * One polling loop: read, report, wait, repeat until stopped. The wait starts at `minIntervalMs`,
 * doubles after every poll that saw no change (up to `maxIntervalMs`) and drops back to the
 * minimum on a change: a task that just moved is likely to move again soon, one that sits in
 * `created` for an hour costs one read per `maxIntervalMs`.
 */
import { setTimeout as sleepTimer } from "node:timers/promises";

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) => sleepTimer(ms, undefined, { signal });

export interface PollIntervals {
  minIntervalMs: number;
  maxIntervalMs: number;
}

export const DEFAULT_POLL_INTERVALS: PollIntervals = { minIntervalMs: 1_000, maxIntervalMs: 15_000 };

export function nextPollDelay(previousMs: number, changed: boolean, intervals: PollIntervals): number {
  if (changed) return intervals.minIntervalMs;
  return Math.min(intervals.maxIntervalMs, Math.max(intervals.minIntervalMs, previousMs * 2));
}

export interface TaskPollerOptions extends PollIntervals {
  /** One poll; resolves true when it saw a change. Must not throw (report failures itself). */
  poll(signal: AbortSignal): Promise<boolean>;
  sleep?: Sleep;
}

export interface TaskPoller {
  /** Stops after the poll in flight (whose result is then ignored by `poll` itself, if it checks the signal). */
  stop(): void;
  /** Settles when the loop has ended. */
  readonly done: Promise<void>;
}

export function startTaskPoller(options: TaskPollerOptions): TaskPoller {
  const controller = new AbortController();
  const sleep = options.sleep ?? defaultSleep;
  const { signal } = controller;
  const loop = async (): Promise<void> => {
    let delay = options.minIntervalMs;
    let first = true;
    while (!signal.aborted) {
      const changed = await options.poll(signal);
      if (signal.aborted) break;
      // The first read is the baseline, not a change worth hurrying after.
      delay = first ? options.minIntervalMs : nextPollDelay(delay, changed, options);
      first = false;
      try {
        await sleep(delay, signal);
      } catch {
        break; // aborted
      }
    }
  };
  const done = loop();
  return {
    stop: () => controller.abort(),
    done,
  };
}
