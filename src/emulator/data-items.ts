/**
 * The Describe* `DataItem` of a task, rendered once per status and reused: a task's item only
 * changes when its status does, and formatting three timestamps for each of 50 items on every
 * page read was the emulator's hottest path under benchmark load.
 */
import type { EmulatedTask, TaskStatus } from "./task.js";
import { exportFileType, taskStatus } from "./task.js";
import { formatIsoSeconds } from "./time.js";

export type DataItem = Readonly<Record<string, unknown>>;

export class DataItems {
  private readonly rendered = new WeakMap<EmulatedTask, Partial<Record<TaskStatus, DataItem>>>();

  /** `baseUrl()` is read at render time: the port is known only once the server listens. */
  constructor(private readonly baseUrl: () => string) {}

  of(task: EmulatedTask, now: number): DataItem {
    const status = taskStatus(task, now);
    let byStatus = this.rendered.get(task);
    if (!byStatus) {
      byStatus = {};
      this.rendered.set(task, byStatus);
    }
    return (byStatus[status] ??= this.render(task, status));
  }

  private render(task: EmulatedTask, status: TaskStatus): DataItem {
    return {
      TaskId: task.taskId,
      ...(task.name === undefined ? {} : { TaskName: task.name }),
      Status: status,
      CreateTime: formatIsoSeconds(task.createdAt),
      UpdateTime: formatIsoSeconds(status === "created" ? task.createdAt : task.readyAt),
      ...(status === "success" ? { DownloadUrl: `${this.baseUrl()}/downloads/${task.downloadToken}.${exportFileType(task.kind)}` } : {}),
      TaskConfig: { StartTime: task.startTime, EndTime: task.endTime },
    };
  }
}
