/** One AccessKey the emulator accepts, with its tasks and its CDN domains. */
import type { ExportKind } from "../upstream/types.js";
import { TaskStore } from "./task-store.js";

export interface Account {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS mode when set: calls must carry exactly this token. */
  securityToken: string | undefined;
  /** What an export covers when it names no DomainNames (and what any Group resolves to). */
  domains: readonly string[];
  tasks: Record<ExportKind, TaskStore>;
}

export const ACCOUNT_DOMAINS: readonly string[] = [
  "www.example.com",
  "static.example.com",
  "img.example.com",
  "video.example.com",
  "api.example.com",
  "download.example.com",
];

export function newAccount(accessKeyId: string, accessKeySecret: string, securityToken: string | undefined): Account {
  return {
    accessKeyId,
    accessKeySecret,
    securityToken,
    domains: ACCOUNT_DOMAINS,
    tasks: { USAGE_DETAIL: new TaskStore(), USER_USAGE: new TaskStore() },
  };
}
