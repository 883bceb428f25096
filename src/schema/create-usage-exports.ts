/**
 * Long-range creates: the single-create inputs with a one-year span limit instead of 31 days,
 * split into consecutive tasks (resolvers/create-usage-exports.ts). The payload lists every
 * part, so a caller always learns which tasks exist, even after a partial failure.
 */
import {
  createUsageExports,
  createUserUsageExports,
  type CreatedExports,
  type ExportPart,
  type ExportPartError,
} from "../resolvers/create-usage-exports.js";
import { LONG_RANGE_SPAN } from "../resolvers/input-rules.js";
import { lookupTask } from "../resolvers/task-lookup.js";
import { builder } from "./builder.js";
import { CreateUsageExportInput, CreateUserUsageExportInput, usageDetailArgsRules, userUsageArgsRules } from "./create-usage-export.js";
import { ExportTask } from "./export-task.js";
import "./scalars.js";

export const UsageExportPartState = builder.enumType("UsageExportPartState", {
  values: {
    CREATED: { description: "Created by this request." },
    REPLAYED: { description: "Created earlier by a request with the same idempotency key; not created again." },
    FAILED: { description: "This request tried and failed (see error); retry with the same idempotency key." },
    NOT_ATTEMPTED: { description: "Not tried because an earlier part failed; retry with the same idempotency key." },
  } as const,
});

export const UsageExportPartError = builder.objectRef<ExportPartError>("UsageExportPartError").implement({
  description: "Why a part failed: what the single create would have answered as a GraphQL error.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "extensions.code of the error (UPSTREAM_THROTTLED, IDEMPOTENCY_IN_PROGRESS, ...)." }),
    message: t.exposeString("message"),
    retryAfterMs: t.exposeInt("retryAfterMs", { nullable: true }),
  }),
});

export const UsageExportPart = builder.objectRef<ExportPart>("UsageExportPart").implement({
  description: "One task of a long range: [startTime, endTime), at most 31 days; endTime is the next part's startTime.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "0-based, in time order." }),
    startTime: t.field({ type: "DateTime", resolve: (part) => part.startTime }),
    endTime: t.field({ type: "DateTime", resolve: (part) => part.endTime }),
    state: t.field({ type: UsageExportPartState, resolve: (part) => part.state }),
    created: t.boolean({ description: "True when this request created the task (state CREATED).", resolve: (part) => part.state === "CREATED" }),
    taskId: t.exposeString("taskId", { nullable: true, description: "Set when the part's task exists (CREATED or REPLAYED)." }),
    task: t.field({
      type: ExportTask,
      nullable: true,
      description: "The part's task as the upstream lists it; read only when selected.",
      resolve: (part, _args, ctx) => (part.taskId === null ? null : lookupTask(ctx, { kind: part.kind, taskId: part.taskId })),
    }),
    error: t.field({ type: UsageExportPartError, nullable: true, resolve: (part) => part.error }),
  }),
});

export const CreateUsageExportsPayload = builder.objectRef<CreatedExports>("CreateUsageExportsPayload").implement({
  fields: (t) => ({
    startTime: t.field({ type: "DateTime", resolve: (created) => created.startTime }),
    endTime: t.field({ type: "DateTime", resolve: (created) => created.endTime }),
    parts: t.field({ type: [UsageExportPart], resolve: (created) => created.parts }),
    complete: t.exposeBoolean("complete", { description: "Every part has a task. When false, retry with the same idempotency key." }),
  }),
});

const LONG_RANGE_DESCRIPTION =
  "A range of up to one year (endTime at most startTime + 1 calendar year, UTC) as consecutive tasks of at most 31 days " +
  "covering [startTime, endTime) exactly. Parts are created one after another; a failure after the first part stops the " +
  "run and is reported on its part (complete = false); a failure of the first part fails the mutation, as the single " +
  "create would. With an idempotency key (input or Idempotency-Key header; part i uses `<key>#<i>`) a retry creates only " +
  "the missing parts. Same input rules as the single create otherwise.";

builder.mutationFields((t) => ({
  createUsageExports: t.field({
    type: CreateUsageExportsPayload,
    description: `CreateUsageDetailDataExportTask over a long range. ${LONG_RANGE_DESCRIPTION}`,
    authScopes: { "export:create": true },
    args: { input: t.arg({ type: CreateUsageExportInput, required: true }) },
    validate: usageDetailArgsRules(LONG_RANGE_SPAN),
    resolve: (_root, { input }, ctx) => createUsageExports(ctx, input),
  }),
  createUserUsageExports: t.field({
    type: CreateUsageExportsPayload,
    description: `CreateUserUsageDataExportTask over a long range. ${LONG_RANGE_DESCRIPTION}`,
    authScopes: { "export:create": true },
    args: { input: t.arg({ type: CreateUserUsageExportInput, required: true }) },
    validate: userUsageArgsRules(LONG_RANGE_SPAN),
    resolve: (_root, { input }, ctx) => createUserUsageExports(ctx, input),
  }),
}));
