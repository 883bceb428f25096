/**
 * The waiters of one replica for a permit from the shared store, in arrival order. Only the
 * first of them asks the store, sleeping as long as the store says between asks, so a crowd of
 * waiters costs one store call per slot, not one per waiter. A waiter that leaves (its caller
 * aborted) while it was first wakes the asker for the next one.
 */
import { UpstreamQuotaExhaustedError } from "../errors.js";
import { abortError, reportQuotaWait } from "./schedule.js";
import type { QuotaAcquireOptions, QuotaPermit } from "./types.js";

/** One ask of the store for the first waiter: a permit, how long to wait before asking again, or `"lost"`. */
export type StoreAnswer = QuotaPermit | { retryInMs: number } | "lost";

export interface StoreWaitQueueOptions {
  maxWaitMs: number;
  ask(): Promise<StoreAnswer>;
  /** A waiter moved off the store (it was lost): wait on this replica's own share instead. */
  waitAlone(action: string, options: QuotaAcquireOptions): Promise<QuotaPermit>;
}

interface Waiter {
  action: string;
  askedAt: number;
  deadline: number;
  options: QuotaAcquireOptions;
  grant(permit: QuotaPermit): void;
  fail(error: Error): void;
  goAlone(): void;
}

export class StoreWaitQueue {
  readonly #queue: Waiter[] = [];
  #asking = false;
  /** Ends the asker's current sleep early (its waiter left). */
  #interruptSleep: (() => void) | undefined;

  constructor(private readonly options: StoreWaitQueueOptions) {}

  get length(): number {
    return this.#queue.length;
  }

  wait(action: string, askedAt: number, options: QuotaAcquireOptions): Promise<QuotaPermit> {
    const { signal } = options;
    return new Promise<QuotaPermit>((resolve, reject) => {
      const leave = (): void => {
        signal?.removeEventListener("abort", onAbort);
        const index = this.#queue.indexOf(waiter);
        if (index !== -1) this.#queue.splice(index, 1);
        if (index === 0) this.#interruptSleep?.();
      };
      const onAbort = (): void => {
        leave();
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        action,
        askedAt,
        deadline: askedAt + this.options.maxWaitMs,
        options,
        grant: (permit) => {
          leave();
          resolve(permit);
        },
        fail: (error) => {
          leave();
          reject(error);
        },
        goAlone: () => {
          leave();
          this.options.waitAlone(action, options).then(resolve, reject);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
      if (!this.#asking) void this.#askInTurn();
    });
  }

  /** The store was lost: every waiter goes to this replica's own share. */
  goAlone(): void {
    for (const waiter of [...this.#queue]) waiter.goAlone();
  }

  /** The first waiter asks the store until it gets a permit, fails or leaves; then the next. */
  async #askInTurn(): Promise<void> {
    this.#asking = true;
    try {
      for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
        const answer = await this.options.ask();
        if (answer === "lost") return; // the quota moved every waiter alone
        const permit = "release" in answer ? answer : undefined;
        if (this.#queue[0] !== head) {
          permit?.release(); // it left while the store answered
          continue;
        }
        if (permit !== undefined) {
          reportQuotaWait(head.options.observer, head.action, performance.now() - head.askedAt);
          head.grant(permit);
          continue;
        }
        const retryInMs = "retryInMs" in answer ? answer.retryInMs : 0;
        if (performance.now() + retryInMs > head.deadline) {
          head.fail(new UpstreamQuotaExhaustedError(head.action, this.options.maxWaitMs));
          continue;
        }
        await this.#sleep(retryInMs);
      }
    } finally {
      this.#asking = false;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#interruptSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, Math.ceil(ms)));
      this.#interruptSleep = done;
    });
  }
}
