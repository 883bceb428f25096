/**
 * Connection cursors: base64url of a versioned JSON payload.
 * v1 `{ v, o }`: the absolute offset of the edge.
 * v2 `{ v, o, t, c, n }`: also the edge's task (TaskId `t`, CreateTime `c` in epoch seconds) and
 * the list's TotalCount `n` when issued, so a later page can notice that tasks created or
 * deleted meanwhile moved the edge, and find it again (cursor-realign.ts). v1 cursors stay
 * accepted (plain offsets). Unknown extra members are tolerated.
 * Either version may carry `b`: the binding of the list that issued it (`cursorBinding`), so a
 * cursor of one list (kind, filter, or another connection altogether) given to another is
 * refused instead of silently pointing somewhere else. `b` is an extra member, not a new
 * version, so a replica that predates it still reads the cursor during a rolling deploy.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { MAX_OFFSET } from "./paging.js";

/** The task a v2 cursor was issued for: enough to find it again after the list shifted. */
export interface CursorAnchor {
  taskId: string;
  /** CreateTime, epoch seconds. */
  createdAt: number;
  /** TotalCount when the cursor was issued: growth since then is how far it most likely moved. */
  totalCount: number;
}

export interface CursorPosition {
  offset: number;
  anchor: CursorAnchor | null;
  /** The issuing list's binding; null for cursors issued before bindings existed. */
  binding: string | null;
}

/** Longest TaskId a cursor carries (longer ones give a v1 cursor: still valid, just not shift-aware). */
export const MAX_ANCHOR_TASK_ID = 128;

const offsetSchema = z.int().min(0).max(MAX_OFFSET - 1);
const BINDING_LENGTH = 16;
const bindingSchema = z.string().regex(/^[A-Za-z0-9_-]+$/).length(BINDING_LENGTH).optional();
const cursorPayload = z.discriminatedUnion("v", [
  z.looseObject({ v: z.literal(1), o: offsetSchema, b: bindingSchema }),
  z.looseObject({
    v: z.literal(2),
    o: offsetSchema,
    b: bindingSchema,
    t: z.string().min(1).max(MAX_ANCHOR_TASK_ID),
    c: z.int().min(0),
    n: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  }),
]);
const BASE64URL = /^[A-Za-z0-9_-]{1,512}$/;

/** The anchor for an edge's task, or null when it cannot be one (odd time or very long id). */
export function cursorAnchor(task: { taskId: string; createTime: string }, totalCount: number): CursorAnchor | null {
  const createdMs = Date.parse(task.createTime);
  if (Number.isNaN(createdMs) || createdMs < 0 || task.taskId === "" || task.taskId.length > MAX_ANCHOR_TASK_ID) return null;
  return { taskId: task.taskId, createdAt: Math.floor(createdMs / 1000), totalCount };
}

/**
 * The binding of a list: a short digest of what identifies it (e.g. `tasks`, the kind and the
 * canonical filter). Equal parts, equal binding; a digest keeps cursors short and says nothing
 * of the filter to whoever reads one.
 */
export function cursorBinding(...parts: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(parts), "utf8").digest("base64url").slice(0, BINDING_LENGTH);
}

export function encodeCursor(offset: number, anchor: CursorAnchor | null = null, binding: string | null = null): string {
  const bound = binding === null ? {} : { b: binding };
  const payload =
    anchor === null
      ? { v: 1, o: offset, ...bound }
      : { v: 2, o: offset, t: anchor.taskId, c: anchor.createdAt, n: anchor.totalCount, ...bound };
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

/** Offset and (v2) anchor of a cursor this gateway issued; null for anything else. */
export function readCursor(cursor: string): CursorPosition | null {
  if (!BASE64URL.test(cursor)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const parsed = cursorPayload.safeParse(json);
  if (!parsed.success) return null;
  const payload = parsed.data;
  return {
    offset: payload.o,
    anchor: payload.v === 2 ? { taskId: payload.t, createdAt: payload.c, totalCount: payload.n } : null,
    binding: payload.b ?? null,
  };
}
