/** `Query.tasks`: one Relay window over the upstream list, read through the shared pages. */
import type { RequestContext } from "../context.js";
import { cursorAnchor, encodeCursor } from "../reading/cursors.js";
import { parseWindowArgs, type ConnectionArgs } from "../reading/relay-window.js";
import { readTaskWindow } from "../reading/task-window.js";
import type { ExportKind, UpstreamTask } from "../upstream/types.js";
import { withUpstreamErrors } from "./upstream-errors.js";

export interface TaskConnection {
  edges: { cursor: string; node: UpstreamTask }[];
  pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export function resolveTasksConnection(ctx: RequestContext, kind: ExportKind, args: ConnectionArgs): Promise<TaskConnection> {
  return withUpstreamErrors(async () => {
    // Refuses bad sizes and cursors before anything is read.
    const request = parseWindowArgs(args);
    const window = await readTaskWindow(ctx.loaders.pages, kind, request);
    // Each cursor names its task, so a later page can find it again if the list moved.
    const edges = window.items.map(({ offset, task }) => ({ cursor: encodeCursor(offset, cursorAnchor(task, window.totalCount)), node: task }));
    return {
      edges,
      totalCount: window.totalCount,
      pageInfo: {
        hasPreviousPage: window.hasPreviousPage,
        hasNextPage: window.hasNextPage,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  });
}
