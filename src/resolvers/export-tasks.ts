/**
 * Create and delete flows. Static input rules ran in the schema's validation; the clock-bound
 * rules (startTime at most one year back, not in the future) run here too, before any upstream
 * call. After a write the request's pages of that kind are dropped, so a payload's `task` sees
 * the new list. Writes get no abort signal: a create cut off mid-flight could leave a task the
 * caller never hears of.
 */
import type { RequestContext } from "../context.js";
import { badUserInputs, taskNotFound } from "../errors.js";
import { UpstreamRejectedError } from "../upstream/errors.js";
import type { CreateUsageDetailParams, CreateUserUsageParams, ExportKind, ExportLanguage, UsageType } from "../upstream/types.js";
import { createInputClockViolations } from "./input-rules.js";
import { withUpstreamErrors } from "./upstream-errors.js";

/** What the idempotency store keeps of a create (replayed as JSON). */
interface StoredExport {
  kind: ExportKind;
  taskId: string;
  startTime: string;
  endTime: string;
}

/** What a create mutation returns; `task` is resolved lazily from it. */
export interface CreatedExport extends StoredExport {
  /** The answer came from an earlier request with the same idempotency key. */
  replayed: boolean;
}

interface CommonCreateInput {
  startTime: string;
  endTime: string;
  language?: ExportLanguage | null;
  taskName?: string | null;
  idempotencyKey?: string | null;
}

export interface UsageDetailInput extends CommonCreateInput {
  type: UsageType;
  domainNames?: readonly string[] | null;
  group?: string | null;
}

export type UserUsageInput = CommonCreateInput;

/** The mutation that creates a task of each kind: what an idempotency key's fingerprint names. */
export const CREATE_OPERATION: Readonly<Record<ExportKind, string>> = {
  USAGE_DETAIL: "createUsageExport",
  USER_USAGE: "createUserUsageExport",
};

/** The rules on `input.startTime` that need the request clock (input-rules.ts). */
export function checkStartTimeClock(ctx: RequestContext, startTime: string): void {
  const violations = createInputClockViolations({ startTime }, ctx.now());
  if (violations.length > 0) throw badUserInputs(violations);
}

function optional<K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Partial<Record<K, V>>);
}

async function runCreate(
  ctx: RequestContext,
  kind: ExportKind,
  input: CommonCreateInput,
  params: CreateUsageDetailParams | CreateUserUsageParams,
  call: () => Promise<{ taskId: string; startTime: string; endTime: string }>,
): Promise<CreatedExport> {
  checkStartTimeClock(ctx, input.startTime);
  const key = input.idempotencyKey ?? ctx.idempotencyKey;
  // Whether this request made the call: with a key, the runner may answer from its store.
  let ran = false;
  const once = async (): Promise<StoredExport> => {
    ran = true;
    const created = await call();
    return { kind, taskId: created.taskId, startTime: created.startTime, endTime: created.endTime };
  };
  const stored = await withUpstreamErrors(() =>
    key !== null && ctx.idempotency ? ctx.idempotency.run(key, { operation: CREATE_OPERATION[kind], input: { ...params } }, once) : once(),
  );
  ctx.loaders.invalidate(kind);
  return { kind: stored.kind, taskId: stored.taskId, startTime: stored.startTime, endTime: stored.endTime, replayed: !ran };
}

/** CreateUsageDetailDataExportTask parameters for `input` (empty domain lists dropped). */
export function usageDetailParams(input: UsageDetailInput): CreateUsageDetailParams {
  const domainNames = input.domainNames && input.domainNames.length > 0 ? input.domainNames : null;
  return {
    type: input.type,
    startTime: input.startTime,
    endTime: input.endTime,
    ...optional("domainNames", domainNames),
    ...optional("group", input.group),
    ...optional("language", input.language),
    ...optional("taskName", input.taskName),
  };
}

export function userUsageParams(input: UserUsageInput): CreateUserUsageParams {
  return {
    startTime: input.startTime,
    endTime: input.endTime,
    ...optional("language", input.language),
    ...optional("taskName", input.taskName),
  };
}

export function createUsageExport(ctx: RequestContext, input: UsageDetailInput): Promise<CreatedExport> {
  const params = usageDetailParams(input);
  return runCreate(ctx, "USAGE_DETAIL", input, params, () => ctx.api.createUsageDetailTask(params));
}

export function createUserUsageExport(ctx: RequestContext, input: UserUsageInput): Promise<CreatedExport> {
  const params = userUsageParams(input);
  return runCreate(ctx, "USER_USAGE", input, params, () => ctx.api.createUserUsageTask(params));
}

/**
 * The upstream's word for deleting a TaskId it does not hold (its `<Param>.NotFound` + 404
 * convention): the task is not in its list, which the contract calls NOT_FOUND.
 */
export function isTaskNotFound(error: unknown): boolean {
  return error instanceof UpstreamRejectedError && (error.upstreamCode === "InvalidTaskId.NotFound" || (error.httpStatus === 404 && /TaskId/i.test(error.upstreamCode)));
}

export async function deleteExportTask(ctx: RequestContext, input: { kind: ExportKind; taskId: string }): Promise<{ deletedTaskId: string }> {
  await withUpstreamErrors(async () => {
    try {
      await ctx.api.deleteTask(input.kind, input.taskId);
    } catch (error) {
      if (!isTaskNotFound(error)) throw error;
      // Whatever the request read of this kind may still show the task: forget it.
      ctx.loaders.invalidate(input.kind);
      throw taskNotFound(input.kind, input.taskId, `No ${input.kind} export task ${input.taskId} in the upstream's list (last three months)`);
    }
  });
  ctx.loaders.invalidate(input.kind);
  return { deletedTaskId: input.taskId };
}
