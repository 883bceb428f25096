/**
 * Create mutations and their shared payload. Input rules (validation plugin, zod): times are
 * yyyy-MM-ddTHH:mm:ssZ, endTime after startTime; domainNames 1–100 distinct host names, never
 * together with group; taskName 1–64 characters. The span limit (31 days here, one year for the
 * long-range creates sharing these inputs) makes the rules a schema of each mutation's
 * arguments (`createArgsRules`), all in one so every broken rule is reported at once. The
 * clock rules (startTime at most one year back, not in the future) need the request clock
 * (validation-errors.ts, and the resolver). Every refusal is BAD_USER_INPUT with
 * `extensions.field`, `extensions.rule` and `extensions.violations`, and costs no upstream call.
 */
import { createUsageExport, createUserUsageExport, type CreatedExport } from "../resolvers/export-tasks.js";
import { lookupTask } from "../resolvers/task-lookup.js";
import { LIMITS, SINGLE_TASK_SPAN, createArgsRules, usageDetailInputRules, userUsageInputRules, type SpanLimit } from "../resolvers/input-rules.js";
import { builder } from "./builder.js";
import { ExportLanguage, UsageType } from "./enums.js";
import { ExportTask } from "./export-task.js";
import "./scalars.js";

const IDEMPOTENCY_DESCRIPTION = "Repeating a create with the same key returns the first result (or use the Idempotency-Key header).";

// The rules are the mutations' (createArgsRules), not these types': see the file comment.
export const CreateUsageExportInput = builder.inputType("CreateUsageExportInput", {
  fields: (t) => ({
    type: t.field({ type: UsageType, required: true }),
    startTime: t.field({ type: "DateTime", required: true, description: "Not in the future, at most one year back." }),
    endTime: t.field({ type: "DateTime", required: true }),
    domainNames: t.stringList({
      description: `Host names, 1–${LIMITS.maxDomains}, each once (case-insensitive); not together with group. Leave out for all domains.`,
    }),
    group: t.string({ description: "Domain group; not together with domainNames." }),
    language: t.field({ type: ExportLanguage, defaultValue: "zh-cn" }),
    taskName: t.string({ description: `1–${LIMITS.maxTaskNameLength} characters.` }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_DESCRIPTION }),
  }),
});

export const CreateUserUsageExportInput = builder.inputType("CreateUserUsageExportInput", {
  fields: (t) => ({
    startTime: t.field({ type: "DateTime", required: true, description: "Not in the future, at most one year back." }),
    endTime: t.field({ type: "DateTime", required: true }),
    language: t.field({ type: ExportLanguage, defaultValue: "zh-cn" }),
    taskName: t.string({ description: `1–${LIMITS.maxTaskNameLength} characters.` }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_DESCRIPTION }),
  }),
});

/** The rules of each create, per span limit (the long-range creates share the inputs). */
export const usageDetailArgsRules = (span: SpanLimit) => createArgsRules(usageDetailInputRules(span));
export const userUsageArgsRules = (span: SpanLimit) => createArgsRules(userUsageInputRules(span));

export const CreateUsageExportPayload = builder.objectRef<CreatedExport>("CreateUsageExportPayload").implement({
  fields: (t) => ({
    taskId: t.exposeString("taskId"),
    replayed: t.exposeBoolean("replayed", {
      description: "True when this answer came from an earlier request with the same idempotency key (no task was created now).",
    }),
    startTime: t.field({ type: "DateTime", resolve: (created) => created.startTime }),
    endTime: t.field({ type: "DateTime", resolve: (created) => created.endTime }),
    task: t.field({
      type: ExportTask,
      nullable: true,
      description: "The created task as the upstream lists it; read only when selected.",
      resolve: (created, _args, ctx) => lookupTask(ctx, { kind: created.kind, taskId: created.taskId }),
    }),
  }),
});

builder.mutationFields((t) => ({
  createUsageExport: t.field({
    type: CreateUsageExportPayload,
    description: "CreateUsageDetailDataExportTask: one task of at most 31 days.",
    authScopes: { "export:create": true },
    args: { input: t.arg({ type: CreateUsageExportInput, required: true }) },
    validate: usageDetailArgsRules(SINGLE_TASK_SPAN),
    resolve: (_root, { input }, ctx) => createUsageExport(ctx, input),
  }),
  createUserUsageExport: t.field({
    type: CreateUsageExportPayload,
    description: "CreateUserUsageDataExportTask: one task of at most 31 days.",
    authScopes: { "export:create": true },
    args: { input: t.arg({ type: CreateUserUsageExportInput, required: true }) },
    validate: userUsageArgsRules(SINGLE_TASK_SPAN),
    resolve: (_root, { input }, ctx) => createUserUsageExport(ctx, input),
  }),
}));
