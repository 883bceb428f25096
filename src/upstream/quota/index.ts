/**
 * The client-side share of the upstream quota (100 calls/s per account, all operations
 * together): `ratePerSecond` calls in ANY one-second window for the whole deployment, counted
 * where it matters, at the upstream's door. In one process (memory) or across replicas (a
 * shared permit store, Redis); the rules are in schedule.ts. A call over the rate waits for its
 * slot, but only up to `maxWaitMs`; past that it fails with UpstreamQuotaExhaustedError instead
 * of queueing.
 *
 * A call holds a permit from release until it is over (`QuotaPermit.release()`), because the
 * gateway cannot see when the upstream receives it: only that it happened in between.
 */
import type { PermitStore } from "./permit-store.js";
import { createMemoryQuota } from "./memory-quota.js";
import { createSharedQuota } from "./shared-quota.js";
import type { QuotaOptions, QuotaPermit, UpstreamQuota } from "./types.js";

export { createMemoryQuota } from "./memory-quota.js";
export { createSharedQuota } from "./shared-quota.js";
export type {
  MemoryQuotaOptions,
  QuotaAcquireOptions,
  QuotaOptions,
  QuotaPermit,
  SharedQuotaOptions,
  UpstreamQuota,
} from "./types.js";

/** CDN_RATE_LIMIT for this deployment: shared through `store` when replicas have one, else in this process. */
export function createQuota(options: QuotaOptions & { store: PermitStore | null }): UpstreamQuota {
  const { store, ...limits } = options;
  return store === null ? createMemoryQuota(limits) : createSharedQuota({ ...limits, store });
}

const NO_PERMIT: QuotaPermit = { release: () => undefined };

/** Never limits: for tests and tools that talk to an emulator on purpose without a quota. */
export function createUnlimitedQuota(): UpstreamQuota {
  return { acquire: () => Promise.resolve(NO_PERMIT) };
}
