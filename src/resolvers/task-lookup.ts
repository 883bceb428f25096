/** Single-task reads (`task`, `node`, federation `_entities`): all go through the batched TaskLookup. */
import type { RequestContext } from "../context.js";
import { badUserInput } from "../errors.js";
import type { TaskKey } from "../reading/entity-scan.js";
import { EXPORT_KINDS, type ExportKind, type UpstreamTask } from "../upstream/types.js";
import { withUpstreamErrors } from "./upstream-errors.js";

export function isExportKind(value: unknown): value is ExportKind {
  return typeof value === "string" && (EXPORT_KINDS as readonly string[]).includes(value);
}

export function lookupTask(ctx: RequestContext, key: TaskKey): Promise<UpstreamTask | null> {
  return withUpstreamErrors(() => ctx.loaders.tasks.load(key));
}

/** A federation representation `{ kind, taskId }`; anything else resolves to null. */
export function lookupReference(ctx: RequestContext, reference: { kind: unknown; taskId: unknown }): Promise<UpstreamTask | null> {
  const { kind, taskId } = reference;
  if (!isExportKind(kind) || typeof taskId !== "string") return Promise.resolve(null);
  return lookupTask(ctx, { kind, taskId });
}

/** The local part of an ExportTask's Relay global id: `<kind>:<taskId>`. */
export function nodeIdOf(task: { kind: ExportKind; taskId: string }): string {
  return `${task.kind}:${task.taskId}`;
}

export function parseNodeId(id: string): TaskKey {
  const colon = id.indexOf(":");
  const kind = id.slice(0, colon);
  const taskId = id.slice(colon + 1);
  if (colon < 0 || !isExportKind(kind) || taskId === "") throw badUserInput("id", "global-id", "id: not an ExportTask id");
  return { kind, taskId };
}
