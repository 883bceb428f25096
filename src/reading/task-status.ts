/** The upstream's status word → the contract's ExportTaskStatus (unknown words stay visible in rawStatus). */
export type TaskStatus = "CREATED" | "SUCCESS" | "FAILED" | "UNKNOWN";

const KNOWN: Readonly<Record<string, TaskStatus>> = { created: "CREATED", success: "SUCCESS", failed: "FAILED" };

export function taskStatus(rawStatus: string): TaskStatus {
  return KNOWN[rawStatus.trim().toLowerCase()] ?? "UNKNOWN";
}
