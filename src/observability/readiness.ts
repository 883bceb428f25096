/**
 * Readiness: "can this replica serve traffic now?" — the upstream answered recently (a cheap
 * Describe page read, cached for `cacheMs`) and every critical check passes. A failing
 * non-critical check (Redis: reads are still served) leaves the replica ready but `degraded`.
 * Concurrent /ready calls share one probe, so a burst of probes costs one upstream call.
 */

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; rejects (or resolves `false`) when not. */
  check(signal: AbortSignal): Promise<unknown>;
  /** false: a failure is reported (degraded) but does not make the replica unready. Default true. */
  critical?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  /** Ready, but a non-critical check failed. */
  degraded: boolean;
  checks: Record<string, "ok" | "failed">;
}

export interface ReadinessOptions {
  checks: readonly ReadinessCheck[];
  /** Monotonic ms. */
  now: () => number;
  /** A passing result is reused this long. 0 = probe on every call. */
  cacheMs: number;
  /** Each probe round gives up after this long. */
  timeoutMs: number;
}

export interface Readiness {
  report(): Promise<ReadinessReport>;
}

export function createReadiness(options: ReadinessOptions): Readiness {
  let lastPass: { at: number; report: ReadinessReport } | null = null;
  let inFlight: Promise<ReadinessReport> | null = null;

  async function runChecks(): Promise<ReadinessReport> {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const results = await Promise.all(
      options.checks.map(async (c) => {
        try {
          const ok = await raceAbort(c.check(signal), signal);
          return [c.name, ok === false ? "failed" : "ok", c.critical ?? true] as const;
        } catch {
          return [c.name, "failed", c.critical ?? true] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results.map(([name, result]) => [name, result])) as Record<string, "ok" | "failed">;
    const ready = results.every(([, result, critical]) => result === "ok" || !critical);
    const degraded = ready && results.some(([, result]) => result !== "ok");
    const report: ReadinessReport = { ready, degraded, checks };
    // Only a clean pass is reused: a degraded replica is re-checked on every call.
    lastPass = ready && !degraded ? { at: options.now(), report } : null;
    return report;
  }

  return {
    report() {
      if (lastPass !== null && options.now() - lastPass.at < options.cacheMs) return Promise.resolve(lastPass.report);
      inFlight ??= runChecks().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
  };
}

/** A check that ignores its signal still cannot hold /ready past the timeout. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error("readiness check timed out"));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
