/**
 * Where tasks are added and removed: hands out TaskIds (numeric strings, ascending, unique
 * across kinds, like the upstream's) and download tokens, and finds a task by its token.
 */
import { randomBytes } from "node:crypto";
import type { ExportKind } from "../upstream/types.js";
import type { Account } from "./account.js";
import type { EmulatedTask } from "./task.js";

export type NewTask = Omit<EmulatedTask, "taskId" | "downloadToken">;

const FIRST_TASK_ID = 10_000_001;

export class TaskRegistry {
  private nextTaskId = FIRST_TASK_ID;
  private readonly byDownloadToken = new Map<string, EmulatedTask>();

  add(account: Account, fields: NewTask): EmulatedTask {
    const task: EmulatedTask = {
      ...fields,
      taskId: String(this.nextTaskId++),
      downloadToken: randomBytes(16).toString("hex"),
    };
    account.tasks[task.kind].add(task);
    this.byDownloadToken.set(task.downloadToken, task);
    return task;
  }

  remove(account: Account, kind: ExportKind, taskId: string): EmulatedTask | undefined {
    const task = account.tasks[kind].remove(taskId);
    if (task) this.byDownloadToken.delete(task.downloadToken);
    return task;
  }

  byToken(token: string): EmulatedTask | undefined {
    return this.byDownloadToken.get(token);
  }
}
