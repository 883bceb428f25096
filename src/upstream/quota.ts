/**
 * The client-side share of the upstream quota (100 calls/s per account, all operations
 * together): `ratePerSecond` calls in ANY one-second window for the whole deployment, counted
 * where it matters, at the upstream's door. In one process (memory) or across replicas (Redis);
 * the rules are in quota/schedule.ts. A call over the rate waits for its slot, but only up to
 * `maxWaitMs`; past that it fails with UpstreamQuotaExhaustedError instead of queueing.
 *
 * A call holds a permit from release until it is over (`QuotaPermit.release()`), because the
 * gateway cannot see when the upstream receives it: only that it happened in between.
 */
export { createMemoryQuota } from "./quota/memory-quota.js";
export { createRedisQuota } from "../state/quota/redis-quota.js";
export type {
  MemoryQuotaOptions,
  QuotaAcquireOptions,
  QuotaOptions,
  QuotaPermit,
  RedisQuotaOptions,
  UpstreamQuota,
} from "./quota/types.js";
import type { QuotaPermit, UpstreamQuota } from "./quota/types.js";

const NO_PERMIT: QuotaPermit = { release: () => undefined };

/** Never limits: for tests and tools that talk to an emulator on purpose without a quota. */
export function createUnlimitedQuota(): UpstreamQuota {
  return { acquire: () => Promise.resolve(NO_PERMIT) };
}
