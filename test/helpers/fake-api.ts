/**
 * An in-memory CdnExportApi for loader unit tests: a list per kind, every page read recorded,
 * and how many reads were in flight at once (to prove reads run concurrently).
 */
import type { CdnExportApi, ExportKind, PageRequest, TaskPage, UpstreamTask } from "../../src/upstream/types.js";
import { taskPageOf } from "./task-page.js";

export interface PageRead {
  kind: ExportKind;
  pageNumber: number;
  pageSize: number;
}

export interface FakeApi extends CdnExportApi {
  tasks: Record<ExportKind, UpstreamTask[]>;
  reads: PageRead[];
  maxInFlight: number;
  readsOf(kind: ExportKind): number[];
}

export function fakeTask(kind: ExportKind, index: number): UpstreamTask {
  return {
    kind,
    taskId: `${kind === "USAGE_DETAIL" ? "d" : "u"}${index}`,
    name: `task ${index}`,
    rawStatus: "success",
    createTime: "2024-01-01T00:00:00Z",
    updateTime: null,
    downloadUrl: null,
    startTime: null,
    endTime: null,
  };
}

export function createFakeApi(sizes: Partial<Record<ExportKind, number>> = {}): FakeApi {
  let inFlight = 0;
  const api: FakeApi = {
    tasks: {
      USAGE_DETAIL: Array.from({ length: sizes.USAGE_DETAIL ?? 0 }, (_, i) => fakeTask("USAGE_DETAIL", i)),
      USER_USAGE: Array.from({ length: sizes.USER_USAGE ?? 0 }, (_, i) => fakeTask("USER_USAGE", i)),
    },
    reads: [],
    maxInFlight: 0,
    readsOf: (kind) => api.reads.filter((r) => r.kind === kind).map((r) => r.pageNumber),
    async describeTasks(kind: ExportKind, page: PageRequest): Promise<TaskPage> {
      api.reads.push({ kind, ...page });
      inFlight += 1;
      api.maxInFlight = Math.max(api.maxInFlight, inFlight);
      // Answer on a later turn so concurrent reads overlap.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return taskPageOf(kind, api.tasks[kind], page, `req-${api.reads.length}`);
    },
    createUsageDetailTask: () => Promise.reject(new Error("not in this fake")),
    createUserUsageTask: () => Promise.reject(new Error("not in this fake")),
    deleteTask: () => Promise.reject(new Error("not in this fake")),
  };
  return api;
}
