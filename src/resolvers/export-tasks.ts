/**
 * Create and delete flows. Static input rules ran in the schema's validation; the clock-bound
 * rule (at most one year back) runs here, before any upstream call. After a write the request's
 * pages of that kind are dropped, so a payload's `task` sees the new list. Writes get no abort
 * signal: a create cut off mid-flight could leave a task the caller never hears of.
 */
import type { RequestContext } from "../context.js";
import { badUserInput } from "../errors.js";
import type { CreateUsageDetailParams, CreateUserUsageParams, ExportKind, ExportLanguage, UsageType } from "../upstream/types.js";
import { formatUtcSeconds, oneYearBefore, parseUtcSeconds } from "./date-time.js";
import { Rule } from "./input-rules.js";
import { withUpstreamErrors } from "./upstream-errors.js";

/** What a create mutation returns; `task` is resolved lazily from it. */
export interface CreatedExport {
  kind: ExportKind;
  taskId: string;
  startTime: string;
  endTime: string;
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

export function checkNotTooOld(ctx: RequestContext, startTime: string): void {
  const start = parseUtcSeconds(startTime);
  const oldest = oneYearBefore(ctx.now());
  if (start !== null && start < oldest) {
    throw badUserInput("input.startTime", Rule.MAX_AGE, `input.startTime: data can be exported from at most one year back (${formatUtcSeconds(oldest)})`);
  }
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
  checkNotTooOld(ctx, input.startTime);
  const key = input.idempotencyKey ?? ctx.idempotencyKey;
  const once = async (): Promise<CreatedExport> => {
    const created = await call();
    return { kind, taskId: created.taskId, startTime: created.startTime, endTime: created.endTime };
  };
  const result = await withUpstreamErrors(() =>
    key !== null && ctx.idempotency ? ctx.idempotency.run(key, { operation: CREATE_OPERATION[kind], input: { ...params } }, once) : once(),
  );
  ctx.loaders.invalidate(kind);
  return result;
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

export async function deleteExportTask(ctx: RequestContext, input: { kind: ExportKind; taskId: string }): Promise<{ deletedTaskId: string }> {
  await withUpstreamErrors(() => ctx.api.deleteTask(input.kind, input.taskId));
  ctx.loaders.invalidate(input.kind);
  return { deletedTaskId: input.taskId };
}
