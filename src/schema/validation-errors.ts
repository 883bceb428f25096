/**
 * Turns a failed input validation (Standard Schema issues from the validation plugin) into the
 * gateway's BAD_USER_INPUT: `extensions.field` is the dotted input path without list indexes
 * (`input.domainNames`), `extensions.rule` the rule's stable name (see input-rules.ts).
 */
import type { GraphQLError } from "graphql";
import type { StandardSchemaV1 } from "@pothos/plugin-validation";
import { badUserInput } from "../errors.js";

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

export function issueToError(issue: Issue): GraphQLError {
  const path = (issue.path ?? []).map(segmentKey);
  const field = path.filter((key): key is string => typeof key === "string").join(".") || "input";
  const index = path.find((key): key is number => typeof key === "number");
  const where = index === undefined ? field : `${field}[${index}]`;
  return badUserInput(field, ruleOf(issue), `${where}: ${issue.message}`);
}

export function validationError(failure: StandardSchemaV1.FailureResult): GraphQLError {
  const [first] = failure.issues;
  return first ? issueToError(first) : badUserInput("input", "invalid", "Invalid input");
}
