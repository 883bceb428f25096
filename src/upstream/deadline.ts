/**
 * A deadline for one step of a store the replicas share (Redis): the quota's permit store here,
 * shared page reads in state/. Shared state must never make the gateway slower than it is
 * without Redis: a step that has not answered in time is given up (the command may still run;
 * callers treat the step as failed and fall back).
 *
 * The deadline gives the answer one more turn of the event loop once the timer fires: timers run
 * before I/O in a loop turn, so after a busy stretch of our own (not a slow Redis) a reply that
 * is already in the socket would otherwise lose to the timer.
 */

export class RedisDeadlineError extends Error {
  override readonly name = "RedisDeadlineError";
  constructor(readonly deadlineMs: number) {
    super(`Redis did not answer within ${deadlineMs} ms`);
  }
}

export function withDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new RedisDeadlineError(deadlineMs));
      });
    }, deadlineMs);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
