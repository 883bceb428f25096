/** What an in-memory upstream answers for one page of its list (fakes in the loader and cache suites). */
import type { ExportKind, PageRequest, TaskPage, UpstreamTask } from "../../src/upstream/types.js";

export function taskPageOf(kind: ExportKind, all: readonly UpstreamTask[], page: PageRequest, requestId: string): TaskPage {
  const start = (page.pageNumber - 1) * page.pageSize;
  return {
    kind,
    pageNumber: page.pageNumber,
    pageSize: page.pageSize,
    totalCount: all.length,
    tasks: all.slice(start, start + page.pageSize),
    requestId,
  };
}
