/**
 * `Query.tasks`: one Relay window over the upstream list, read through the shared pages; with a
 * filter, over the tasks that match (reading/filtered-window.ts). Cursors are bound to the list
 * that issued them (kind and filter), so one list's cursor is refused by another.
 */
import type { RequestContext } from "../context.js";
import { cursorAnchor, cursorBinding, encodeCursor } from "../reading/cursors.js";
import { countFilteredTasks, readFilteredWindow } from "../reading/filtered-window.js";
import { parseWindowArgs, type ConnectionArgs, type CursorIssuer } from "../reading/relay-window.js";
import { taskFilterKey, taskFilterOf, type TaskFilter } from "../reading/task-filter.js";
import type { TaskStatus } from "../reading/task-status.js";
import { readTaskWindow, type WindowItem } from "../reading/task-window.js";
import type { ExportKind, UpstreamTask } from "../upstream/types.js";
import { parseUtcSeconds } from "./date-time.js";
import { withUpstreamErrors } from "./upstream-errors.js";

export interface TaskConnection {
  edges: { cursor: string; node: UpstreamTask }[];
  pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
  /** A number when the window read told it; a walk of its own (filtered lists) run only when selected. */
  totalCount: number | (() => Promise<number>);
}

/** `TaskFilter` as the schema hands it over (times already checked to be UTC seconds). */
export interface TaskFilterInput {
  status?: readonly TaskStatus[] | null;
  createdAfter?: string | null;
  createdBefore?: string | null;
  nameContains?: string | null;
}

function timeOf(text: string | null | undefined): number | null {
  return text === null || text === undefined ? null : parseUtcSeconds(text);
}

export function taskFilterFromInput(input: TaskFilterInput | null | undefined): TaskFilter | null {
  if (input === null || input === undefined) return null;
  return taskFilterOf({
    statuses: input.status ?? null,
    createdAfterMs: timeOf(input.createdAfter),
    createdBeforeMs: timeOf(input.createdBefore),
    nameContains: input.nameContains ?? null,
  });
}

/**
 * The list a cursor belongs to: `tasks`, the kind and the canonical filter. Cursors from before
 * bindings existed are taken by the plain list only (no filter existed to issue them).
 */
export function tasksCursorIssuer(kind: ExportKind, filter: TaskFilter | null): CursorIssuer {
  return { binding: cursorBinding("tasks", kind, taskFilterKey(filter)), acceptsUnbound: filter === null };
}

function connectionOf(
  items: readonly WindowItem[],
  binding: string,
  upstreamTotal: number,
  pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean },
  totalCount: TaskConnection["totalCount"],
): TaskConnection {
  // Each cursor names its task, so a later page can find it again if the list moved.
  const edges = items.map(({ offset, task }) => ({ cursor: encodeCursor(offset, cursorAnchor(task, upstreamTotal), binding), node: task }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasPreviousPage: pageInfo.hasPreviousPage,
      hasNextPage: pageInfo.hasNextPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export function resolveTasksConnection(
  ctx: RequestContext,
  kind: ExportKind,
  args: ConnectionArgs & { filter?: TaskFilterInput | null },
): Promise<TaskConnection> {
  return withUpstreamErrors(async () => {
    const filter = taskFilterFromInput(args.filter);
    const issuer = tasksCursorIssuer(kind, filter);
    // Refuses bad sizes and cursors (malformed, or another list's) before anything is read.
    const request = parseWindowArgs(args, issuer);
    const pages = ctx.loaders.pages;
    if (filter === null) {
      const window = await readTaskWindow(pages, kind, request);
      return connectionOf(window.items, issuer.binding, window.totalCount, window, window.totalCount);
    }
    const options = { maxPages: ctx.loaders.maxScanPages };
    const window = await readFilteredWindow(pages, kind, filter, request, options);
    const count = (): Promise<number> => withUpstreamErrors(() => countFilteredTasks(pages, kind, filter, options));
    return connectionOf(window.items, issuer.binding, window.upstreamTotal, window, count);
  });
}
