/**
 * Test helper: a usage-detail export created through the gateway (against its embedded
 * emulator) and waited for until it succeeded, with what its file holds computed independently
 * from the emulator's synthetic series.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { postGraphQL } from "./server-harness.js";

export const DAY_MS = 86_400_000;
export const SLOT_MS = 300_000;

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Midnight UTC `days` days ago: inside the upstream's one-year window, never in the future. */
export function daysAgo(days: number): number {
  return Math.floor(Date.now() / DAY_MS) * DAY_MS - days * DAY_MS;
}

export interface FinishedExport {
  taskId: string;
  startTime: string;
  endTime: string;
  domains: string[];
}

const CREATE = `mutation($input: CreateUsageExportInput!) { createUsageExport(input: $input) { taskId } }`;
const STATUS = `query($id: String!) { task(taskId: $id) { status } }`;

/** Creates a usage-detail export and waits until it succeeded (or fails the test). */
export async function createFinishedExport(
  url: string,
  input: { type?: "FLOW" | "VAS"; startTime: string; endTime: string; domainNames: string[] },
  headers: Record<string, string> = {},
): Promise<FinishedExport> {
  const created = await postGraphQL(url, CREATE, { variables: { input: { type: "FLOW", ...input } }, headers });
  expect(created.body.errors).toBeUndefined();
  const taskId = (created.body.data as { createUsageExport: { taskId: string } }).createUsageExport.taskId;
  await waitForStatus(url, taskId, "SUCCESS", headers);
  return { taskId, startTime: input.startTime, endTime: input.endTime, domains: input.domainNames };
}

export async function waitForStatus(url: string, taskId: string, status: string, headers: Record<string, string> = {}): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const read = await postGraphQL(url, STATUS, { variables: { id: taskId }, headers });
    if ((read.body.data as { task: { status: string } | null } | undefined)?.task?.status === status) return;
    await sleep(100);
  }
  throw new Error(`task ${taskId} never reached ${status}`);
}
