/**
 * The six operations: (account, parameters, clock) → the documented body, creating and
 * deleting tasks on the way. Every body carries the RequestId; page numbers are JSON numbers.
 */
import { ACTIONS, type ExportKind } from "../upstream/types.js";
import type { Account } from "./account.js";
import { ApiError } from "./api-error.js";
import { pageRequest, taskIdParam, usageDetailRequest, userUsageRequest, type Params } from "./rules.js";
import type { DataItems } from "./data-items.js";
import type { NewTask, TaskRegistry } from "./task-registry.js";
import { DAY_MS, SECOND_MS } from "./time.js";

/** Describe* show the tasks created in the last three months. */
export const VISIBLE_MS = 90 * DAY_MS;

export interface OperationContext {
  account: Account;
  params: Params;
  now: number;
  requestId: string;
  registry: TaskRegistry;
  taskSeconds: number;
  items: DataItems;
}

export type Operation = (context: OperationContext) => Record<string, unknown>;

/** Adds a task that turns `success` after taskSeconds; answers the four documented strings. */
function create(context: OperationContext, fields: Omit<NewTask, "createdAt" | "readyAt" | "outcome">) {
  const { account, now, requestId, registry, taskSeconds } = context;
  const task = registry.add(account, { ...fields, createdAt: now, readyAt: now + taskSeconds * SECOND_MS, outcome: "success" });
  return { RequestId: requestId, TaskId: task.taskId, StartTime: task.startTime, EndTime: task.endTime };
}

const createUsageDetail: Operation = (context) => {
  const request = usageDetailRequest(context.params, context.now);
  return create(context, {
    kind: "USAGE_DETAIL",
    name: request.taskName,
    startTime: request.startTime,
    endTime: request.endTime,
    usageType: request.type,
    // A Group resolves to the account's domains: the emulator keeps no group membership.
    domains: request.domainNames ?? context.account.domains,
    language: request.language,
  });
};

const createUserUsage: Operation = (context) => {
  const request = userUsageRequest(context.params, context.now);
  return create(context, {
    kind: "USER_USAGE",
    name: request.taskName,
    startTime: request.startTime,
    endTime: request.endTime,
    usageType: undefined,
    domains: context.account.domains,
    language: request.language,
  });
};

function describe(kind: ExportKind): Operation {
  return ({ account, params, now, requestId, items }) => {
    const { pageNumber, pageSize } = pageRequest(params);
    const page = account.tasks[kind].page(now - VISIBLE_MS, pageNumber, pageSize);
    return {
      RequestId: requestId,
      UsageDataPerPage: {
        PageNumber: pageNumber,
        PageSize: pageSize,
        TotalCount: page.totalCount,
        Data: { DataItem: page.tasks.map((task) => items.of(task, now)) },
      },
    };
  };
}

function remove(kind: ExportKind): Operation {
  return ({ account, params, requestId, registry }) => {
    const taskId = taskIdParam(params);
    if (!registry.remove(account, kind, taskId)) throw new ApiError("InvalidTaskId.NotFound");
    return { RequestId: requestId };
  };
}

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  [ACTIONS.USAGE_DETAIL.create, createUsageDetail],
  [ACTIONS.USER_USAGE.create, createUserUsage],
  [ACTIONS.USAGE_DETAIL.describe, describe("USAGE_DETAIL")],
  [ACTIONS.USER_USAGE.describe, describe("USER_USAGE")],
  [ACTIONS.USAGE_DETAIL.delete, remove("USAGE_DETAIL")],
  [ACTIONS.USER_USAGE.delete, remove("USER_USAGE")],
]);
