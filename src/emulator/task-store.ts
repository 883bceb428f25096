/**
 * The tasks of one kind for one AccessKey, kept in creation order so a Describe* page is a
 * slice from the end (newest first) found by binary search: no sorting or filtering per call.
 */
import type { EmulatedTask } from "./task.js";

export interface StoredPage {
  totalCount: number;
  tasks: EmulatedTask[];
}

export class TaskStore {
  /** Ascending by createdAt; equal times keep insertion order. */
  private readonly ordered: EmulatedTask[] = [];
  private readonly byId = new Map<string, EmulatedTask>();

  add(task: EmulatedTask): void {
    // New tasks are almost always the newest: append, unless an injected clock went back.
    const last = this.ordered.at(-1);
    if (!last || last.createdAt <= task.createdAt) this.ordered.push(task);
    else this.ordered.splice(this.firstIndexAfter(task.createdAt), 0, task);
    this.byId.set(task.taskId, task);
  }

  get(taskId: string): EmulatedTask | undefined {
    return this.byId.get(taskId);
  }

  remove(taskId: string): EmulatedTask | undefined {
    const task = this.byId.get(taskId);
    if (!task) return undefined;
    this.byId.delete(taskId);
    this.ordered.splice(this.ordered.indexOf(task), 1);
    return task;
  }

  /** Tasks created at or after `since`, newest first, page `pageNumber` (1-based) of `pageSize`. */
  page(since: number, pageNumber: number, pageSize: number): StoredPage {
    const end = this.ordered.length;
    const totalCount = end - this.firstIndexAtOrAfter(since);
    const tasks: EmulatedTask[] = [];
    const first = (pageNumber - 1) * pageSize;
    for (let i = first; i < Math.min(first + pageSize, totalCount); i++) {
      const task = this.ordered[end - 1 - i];
      if (task) tasks.push(task);
    }
    return { totalCount, tasks };
  }

  get size(): number {
    return this.ordered.length;
  }

  private firstIndexAtOrAfter(time: number): number {
    return this.search((t) => t >= time);
  }

  private firstIndexAfter(time: number): number {
    return this.search((t) => t > time);
  }

  /** First index whose createdAt satisfies a monotone predicate. */
  private search(test: (createdAt: number) => boolean): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const task = this.ordered[mid];
      if (task && test(task.createdAt)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
