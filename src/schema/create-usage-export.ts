/**
 * Create mutations and their shared payload. Input rules (validation plugin, zod): times are
 * yyyy-MM-ddTHH:mm:ssZ, endTime after startTime; domainNames are host names,
 * at most 100, never together with group; taskName 1–64 characters. The span limit (31 days
 * here, one year for the long-range creates sharing these inputs) is a rule of the mutation
 * field (`spanArgsRule`), not of the input type. The one-year-back rule
 * needs the request clock and runs in the resolver. Every refusal is BAD_USER_INPUT with
 * `extensions.field` and `extensions.rule`, and costs no upstream call.
 */
import { createUsageExport, createUserUsageExport, type CreatedExport } from "../resolvers/export-tasks.js";
import { lookupTask } from "../resolvers/task-lookup.js";
import {
  LIMITS,
  SINGLE_TASK_SPAN,
  dateTimeInput,
  domainNamesInput,
  groupInput,
  idempotencyKeyInput,
  spanArgsRule,
  taskNameInput,
  usageDetailInputRules,
  userUsageInputRules,
} from "../resolvers/input-rules.js";
import { builder } from "./builder.js";
import { ExportLanguage, UsageType } from "./enums.js";
import { ExportTask } from "./export-task.js";
import "./scalars.js";

const IDEMPOTENCY_DESCRIPTION = "Repeating a create with the same key returns the first result (or use the Idempotency-Key header).";

export const CreateUsageExportInput = builder.inputType("CreateUsageExportInput", {
  validate: usageDetailInputRules,
  fields: (t) => ({
    type: t.field({ type: UsageType, required: true }),
    startTime: t.field({ type: "DateTime", required: true, validate: dateTimeInput }),
    endTime: t.field({ type: "DateTime", required: true, validate: dateTimeInput }),
    domainNames: t.stringList({
      description: `Host names, at most ${LIMITS.maxDomains}; not together with group.`,
      validate: domainNamesInput,
    }),
    group: t.string({ description: "Domain group; not together with domainNames.", validate: groupInput }),
    language: t.field({ type: ExportLanguage, defaultValue: "zh-cn" }),
    taskName: t.string({ description: `1–${LIMITS.maxTaskNameLength} characters.`, validate: taskNameInput }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_DESCRIPTION, validate: idempotencyKeyInput }),
  }),
});

export const CreateUserUsageExportInput = builder.inputType("CreateUserUsageExportInput", {
  validate: userUsageInputRules,
  fields: (t) => ({
    startTime: t.field({ type: "DateTime", required: true, validate: dateTimeInput }),
    endTime: t.field({ type: "DateTime", required: true, validate: dateTimeInput }),
    language: t.field({ type: ExportLanguage, defaultValue: "zh-cn" }),
    taskName: t.string({ description: `1–${LIMITS.maxTaskNameLength} characters.`, validate: taskNameInput }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_DESCRIPTION, validate: idempotencyKeyInput }),
  }),
});

export const CreateUsageExportPayload = builder.objectRef<CreatedExport>("CreateUsageExportPayload").implement({
  fields: (t) => ({
    taskId: t.exposeString("taskId"),
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
    validate: spanArgsRule(SINGLE_TASK_SPAN),
    resolve: (_root, { input }, ctx) => createUsageExport(ctx, input),
  }),
  createUserUsageExport: t.field({
    type: CreateUsageExportPayload,
    description: "CreateUserUsageDataExportTask: one task of at most 31 days.",
    authScopes: { "export:create": true },
    args: { input: t.arg({ type: CreateUserUsageExportInput, required: true }) },
    validate: spanArgsRule(SINGLE_TASK_SPAN),
    resolve: (_root, { input }, ctx) => createUserUsageExport(ctx, input),
  }),
}));
