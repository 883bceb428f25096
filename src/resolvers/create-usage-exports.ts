/**
 * Long-range creates: one range of up to a year becomes consecutive tasks of at most 31 days
 * (`splitRange`), created one after another (the upstream quota is shared; parallel creates
 * would only be throttled). Each part runs under its own idempotency key, derived from the
 * request's key and the part's index, so a retry of a partly failed request replays the parts
 * that exist and creates only the missing ones. A failure after the first part is reported on
 * its part and stops the run (later parts are NOT_ATTEMPTED) instead of failing the mutation:
 * the parts that exist must reach the caller, since a task nobody knows about is the worst
 * outcome. When the first part fails nothing exists, and the mutation fails with that error.
 */
import { createHash } from "node:crypto";
import { GraphQLError } from "graphql";
import type { RequestContext } from "../context.js";
import { ErrorCode } from "../errors.js";
import type { CreateUsageDetailParams, CreateUserUsageParams, ExportKind } from "../upstream/types.js";
import { formatUtcSeconds, parseUtcSeconds } from "./date-time.js";
import { checkStartTimeClock, usageDetailParams, userUsageParams, type UsageDetailInput, type UserUsageInput } from "./export-tasks.js";
import { LIMITS } from "./input-rules.js";
import { splitRange } from "./split-range.js";
import { toGatewayError } from "./upstream-errors.js";

/** CREATED: by this request. REPLAYED: by an earlier request with the same idempotency key. */
export type ExportPartState = "CREATED" | "REPLAYED" | "FAILED" | "NOT_ATTEMPTED";

export interface ExportPartError {
  /** The code the error would have had as a GraphQL error (design.md catalogue). */
  code: string;
  message: string;
  retryAfterMs: number | null;
}

export interface ExportPart {
  kind: ExportKind;
  index: number;
  startTime: string;
  endTime: string;
  state: ExportPartState;
  taskId: string | null;
  error: ExportPartError | null;
}

export interface CreatedExports {
  kind: ExportKind;
  startTime: string;
  endTime: string;
  parts: ExportPart[];
  /** Every part has a task. */
  complete: boolean;
}

/** The long-range mutation of each kind: what each part's idempotency fingerprint names. */
const LONG_RANGE_OPERATION: Readonly<Record<ExportKind, string>> = {
  USAGE_DETAIL: "createUsageExports",
  USER_USAGE: "createUserUsageExports",
};

/** What one part's idempotency record holds (replayed as JSON). */
interface StoredPart {
  taskId: string;
}

/**
 * `<key>#<index>`; a key too long for that (the store takes at most 255 characters) is
 * replaced by its SHA-256 first, so every input key stays usable.
 */
export function partIdempotencyKey(key: string, index: number): string {
  const suffix = `#${index}`;
  const base = key.length + suffix.length <= LIMITS.maxIdempotencyKeyLength ? key : createHash("sha256").update(key, "utf8").digest("hex");
  return `${base}${suffix}`;
}

/**
 * A multi-part run names its parts `<name> (i/n)` so they tell apart in the upstream's list;
 * the name is shortened to keep within the 64-character TaskName limit. One part, or no
 * name: unchanged.
 */
export function partTaskName(name: string | null | undefined, index: number, count: number): string | null {
  if (name === null || name === undefined || count <= 1) return name ?? null;
  const suffix = ` (${index + 1}/${count})`;
  // Counted in UTF-16 units like the taskName rule; never split a surrogate pair.
  const kept = name.slice(0, LIMITS.maxTaskNameLength - suffix.length).replace(/[\uD800-\uDBFF]$/, "");
  return `${kept}${suffix}`;
}

function isStoredPart(value: unknown): value is StoredPart {
  return typeof value === "object" && value !== null && "taskId" in value && typeof value.taskId === "string" && value.taskId !== "";
}

function partError(error: unknown): ExportPartError {
  const mapped = toGatewayError(error);
  if (!(mapped instanceof GraphQLError)) {
    return { code: ErrorCode.INTERNAL_SERVER_ERROR, message: "Unexpected error.", retryAfterMs: null };
  }
  const { code, retryAfterMs } = mapped.extensions;
  return {
    code: typeof code === "string" ? code : ErrorCode.INTERNAL_SERVER_ERROR,
    message: mapped.message,
    retryAfterMs: typeof retryAfterMs === "number" ? retryAfterMs : null,
  };
}

type Params = CreateUsageDetailParams | CreateUserUsageParams;

async function createParts<P extends Params>(
  ctx: RequestContext,
  kind: ExportKind,
  input: { startTime: string; endTime: string; taskName?: string | null; idempotencyKey?: string | null },
  paramsFor: (startTime: string, endTime: string, taskName: string | null) => P,
  call: (params: P) => Promise<{ taskId: string }>,
): Promise<CreatedExports> {
  checkStartTimeClock(ctx, input.startTime);
  const start = parseUtcSeconds(input.startTime);
  const end = parseUtcSeconds(input.endTime);
  // The schema's rules refused these already; this keeps a direct caller honest.
  if (start === null || end === null) throw new RangeError("createParts: times must be yyyy-MM-ddTHH:mm:ssZ");
  const key = input.idempotencyKey ?? ctx.idempotencyKey;
  // Every part's fingerprint names the whole request, so reusing the key for another range
  // is refused on part 0, before anything is created.
  const whole = paramsFor(input.startTime, input.endTime, input.taskName ?? null);

  const ranges = splitRange(start, end);
  const parts: ExportPart[] = [];
  let stopped = false;
  for (const range of ranges) {
    const startTime = formatUtcSeconds(range.startMs);
    const endTime = formatUtcSeconds(range.endMs);
    const part: ExportPart = { kind, index: range.index, startTime, endTime, state: "NOT_ATTEMPTED", taskId: null, error: null };
    parts.push(part);
    if (stopped) continue;
    let ran = false;
    const once = async (): Promise<StoredPart> => {
      ran = true;
      const created = await call(paramsFor(startTime, endTime, partTaskName(input.taskName, range.index, ranges.length)));
      return { taskId: created.taskId };
    };
    try {
      // The whole range and the part's place in it: the same key for another range is refused.
      const request = { operation: LONG_RANGE_OPERATION[kind], input: { params: whole, part: range.index } };
      const result: unknown = key !== null && ctx.idempotency ? await ctx.idempotency.run(partIdempotencyKey(key, range.index), request, once) : await once();
      if (!isStoredPart(result)) throw new Error("idempotency store replayed a record that is not a part");
      part.taskId = result.taskId;
      part.state = ran ? "CREATED" : "REPLAYED";
    } catch (error) {
      // Nothing exists yet (the first part failed): a plain error, as the single create gives.
      if (range.index === 0) throw toGatewayError(error);
      part.state = "FAILED";
      part.error = partError(error);
      stopped = true;
    }
  }
  if (parts.some((part) => part.state === "CREATED")) ctx.loaders.invalidate(kind);
  return { kind, startTime: input.startTime, endTime: input.endTime, parts, complete: parts.every((part) => part.taskId !== null) };
}

export function createUsageExports(ctx: RequestContext, input: UsageDetailInput): Promise<CreatedExports> {
  return createParts(
    ctx,
    "USAGE_DETAIL",
    input,
    (startTime, endTime, taskName) => usageDetailParams({ ...input, startTime, endTime, taskName }),
    (params) => ctx.api.createUsageDetailTask(params),
  );
}

export function createUserUsageExports(ctx: RequestContext, input: UserUsageInput): Promise<CreatedExports> {
  return createParts(
    ctx,
    "USER_USAGE",
    input,
    (startTime, endTime, taskName) => userUsageParams({ ...input, startTime, endTime, taskName }),
    (params) => ctx.api.createUserUsageTask(params),
  );
}
