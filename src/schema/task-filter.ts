/**
 * `TaskFilter`: which tasks `tasks(filter:)` keeps. Every given condition must hold (AND); an
 * absent one keeps everything. Its rules (time format, createdBefore after createdAfter) are
 * one schema, so every broken one is reported at once.
 */
import { LIMITS, taskFilterRules } from "../resolvers/input-rules.js";
import type { TaskFilterInput } from "../resolvers/tasks-connection.js";
import { builder } from "./builder.js";
import { ExportTaskStatus } from "./enums.js";
import "./scalars.js";

export const TaskFilter = builder.inputRef<TaskFilterInput>("TaskFilter").implement({
  description:
    "Conditions on tasks, combined with AND. The upstream cannot filter: the gateway walks its newest-first pages, stopping at " +
    "createdAfter, so a createdAfter keeps a filtered list cheap.",
  validate: taskFilterRules,
  fields: (t) => ({
    status: t.field({
      type: [ExportTaskStatus],
      description: "Any of these statuses (an empty list keeps no task).",
    }),
    createdAfter: t.field({ type: "DateTime", description: "Created at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Created before this time (later than createdAfter)." }),
    nameContains: t.string({
      description: `A part of the task's name, case-insensitive (at most ${LIMITS.maxTaskNameLength} characters; empty keeps every task).`,
    }),
  }),
});
