/**
 * Turns a failed input validation (Standard Schema issues from the validation plugin) into the
 * gateway's BAD_USER_INPUT, every broken rule at once: `extensions.violations` lists them, each
 * with `field` (the dotted input path without list indexes, `input.domainNames`), `rule` (the
 * rule's stable name, see input-rules.ts) and `message`; `extensions.field`/`rule` name the
 * first. The clock rules of a create (`startTime` at most a year back, not in the future) need
 * the request's clock, which static schemas lack: they are added here from the arguments, and
 * checked again in the resolver when the static rules all pass.
 */
import type { GraphQLError } from "graphql";
import type { StandardSchemaV1 } from "@pothos/plugin-validation";
import type { RequestContext } from "../context.js";
import { badUserInputs, type InputViolation } from "../errors.js";
import { createInputClockViolations } from "../resolvers/input-rules.js";

type Issue = StandardSchemaV1.Issue;

function segmentKey(segment: PropertyKey | StandardSchemaV1.PathSegment): PropertyKey {
  return typeof segment === "object" ? segment.key : segment;
}

/** Our zod rules put their name in `params.rule`; other issues fall back to zod's own code. */
function ruleOf(issue: Issue): string {
  const extra: { message: string; params?: unknown; code?: unknown } = issue;
  const params = extra.params;
  if (typeof params === "object" && params !== null && "rule" in params && typeof params.rule === "string") {
    return params.rule;
  }
  return typeof extra.code === "string" ? extra.code.replaceAll("_", "-") : "invalid";
}

export function issueToViolation(issue: Issue): InputViolation {
  const path = (issue.path ?? []).map(segmentKey);
  const field = path.filter((key): key is string => typeof key === "string").join(".") || "input";
  const index = path.find((key): key is number => typeof key === "number");
  const where = index === undefined ? field : `${field}[${index}]`;
  return { field, rule: ruleOf(issue), message: `${where}: ${issue.message}` };
}

export function issueToError(issue: Issue): GraphQLError {
  return badUserInputs([issueToViolation(issue)]);
}

export function validationError(
  failure: StandardSchemaV1.FailureResult,
  args?: Record<string, unknown>,
  context?: Pick<RequestContext, "now">,
): GraphQLError {
  const violations = failure.issues.map(issueToViolation);
  const now = context === undefined ? null : context.now();
  if (args !== undefined && now !== null) {
    const known = new Set(violations.map((v) => `${v.field}\u0000${v.rule}`));
    for (const violation of createInputClockViolations(args["input"], now)) {
      if (!known.has(`${violation.field}\u0000${violation.rule}`)) violations.push(violation);
    }
  }
  return badUserInputs(violations);
}
