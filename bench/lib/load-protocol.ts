/** Jobs and results shared by the three load generators (autocannon, project client, official SDK). */

/** Latency summary in milliseconds, from every response's own timing (not a 1 ms histogram). */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  /** Answers received (any status). */
  completed: number;
  /** Answers that were not a success: non-2xx, transport errors, timeouts, GraphQL `errors`. */
  failed: number;
  durationMs: number;
  /** completed / second. */
  perSecond: number;
  latencyMs: LatencySummary;
  /** GraphQL error codes seen (only when the job asked for bodies to be checked). */
  errorCodes: Record<string, number>;
}

/** Either a fixed time or a fixed number of requests (optionally cut off after `maxDurationMs`). */
export type LoadSize = { durationMs: number } | { amount: number; maxDurationMs?: number };

export type HttpLoadJob = LoadSize & {
  url: string;
  connections: number;
  headers: Record<string, string>;
  /** POST bodies, handed out in turn across all connections (one shared counter). */
  bodies: string[];
  /** Parse each answer for GraphQL `errors` (costs load-generator CPU: off for throughput runs). */
  checkBodies: boolean;
};

export type UpstreamLoadJob = LoadSize & {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  concurrency: number;
  /** Describe pages (PageSize 50) read in turn across all loops. */
  pages: number[];
};

// Type aliases (not interfaces) so they fit rpc.ts's `Methods` record.
export type HttpLoadMethods = {
  run(job: HttpLoadJob): Promise<LoadResult>;
};

export type UpstreamLoadMethods = {
  run(job: UpstreamLoadJob): Promise<LoadResult>;
};
