/**
 * Operation limits (design.md: 15 aliases, depth 10, 2000 tokens, 50 directives, a cost
 * budget, introspection switch). graphql-armor does the first four; the cost rule is ours,
 * because armor's cost ignores page sizes and a budget must refuse 60 × `tasks(first: 100)`.
 *
 * Cost model (documented in the README): every selected field costs 1; a field with a `first`
 * or `last` argument multiplies the cost of everything below it by that number (100 when a
 * list field is asked without one). Fragments are expanded. `tasks(first: 100) { totalCount }`
 * costs 101, so 60 of them (6060) exceed the default budget of 5000. Pages of an export's
 * contents (`points`, `rows`: up to 1000 items read from the parsed file in memory, no upstream
 * call) multiply by their size in hundreds, as a page of tasks costs 100 whatever it selects.
 */
import {
  Kind,
  type GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import type { Plugin, YogaInitialContext } from "graphql-yoga";
import { costLimitExceeded } from "../errors.js";

/** The operation limits of the README's "Operation limits" table (MAX_* variables). */
export interface OperationLimits {
  maxAliases: number;
  maxDepth: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  maxBodyBytes: number;
}

export interface OperationLimitsOptions {
  limits: OperationLimits;
  introspection: boolean;
  /** Hide "Did you mean …?" suggestions even with introspection on (NODE_ENV=production). */
  hideSuggestions?: boolean;
}

/** Page size assumed for a connection asked without `first`/`last` (the contract's maximum). */
const DEFAULT_PAGE = 100;
const PAGE_ARGS = new Set(["first", "last"]);
/** Lists of an export's contents, and their page size without `first` (exports/export-window.ts). */
const CONTENT_PAGES = new Set(["points", "rows"]);
const CONTENT_DEFAULT_PAGE = 1000;
const CONTENT_ITEMS_PER_UNIT = 100;

export function useOperationLimits(options: OperationLimitsOptions): Plugin {
  const { limits } = options;
  // armor throws from inside validation by default, which yoga answers as a bare 200 error;
  // reported instead, a refusal is an ordinary validation error (400, GRAPHQL_VALIDATION_FAILED).
  const report = { propagateOnRejection: false, onReject: [reportRejection] };
  const armor = EnvelopArmorPlugin<YogaInitialContext>({
    maxAliases: { n: limits.maxAliases, allowList: [], ...report },
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...report },
    // Tokens are counted while parsing (no validation context): thrown, it becomes a parse error.
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives, ...report },
    costLimit: { enabled: false },
    // Field suggestions ("Did you mean …?") leak the schema when introspection is off.
    blockFieldSuggestion: { enabled: !options.introspection || options.hideSuggestions === true },
  });
  const rules: ValidationRule[] = [costLimitRule(limits.maxCost)];
  if (!options.introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor);
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
  };
}

function reportRejection(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(error);
}

export function costLimitRule(maxCost: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    return {
      OperationDefinition(operation) {
        const cost = selectionCost(operation.selectionSet, fragments, context, new Set());
        if (cost > maxCost) context.reportError(costLimitExceeded(cost, maxCost, operation));
        return false;
      },
    };
  };
}

function selectionCost(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, context: ValidationContext, visiting: Set<string>): number {
  let total = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) total += fieldCost(selection, fragments, context, visiting);
    else if (selection.kind === Kind.INLINE_FRAGMENT) total += selectionCost(selection.selectionSet, fragments, context, visiting);
    else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // Unknown or cyclic fragments are other rules' business.
      if (fragment === undefined || visiting.has(name)) continue;
      visiting.add(name);
      total += selectionCost(fragment.selectionSet, fragments, context, visiting);
      visiting.delete(name);
    }
    if (!Number.isFinite(total)) return Number.MAX_SAFE_INTEGER;
  }
  return total;
}

function fieldCost(field: FieldNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, context: ValidationContext, visiting: Set<string>): number {
  if (field.selectionSet === undefined) return 1;
  return 1 + pageMultiplier(field) * selectionCost(field.selectionSet, fragments, context, visiting);
}

function pageMultiplier(field: FieldNode): number {
  const content = CONTENT_PAGES.has(field.name.value);
  const pageArgs = (field.arguments ?? []).filter((arg) => PAGE_ARGS.has(arg.name.value));
  if (content) {
    const first = pageArgs.find((arg) => arg.name.value === "first")?.value;
    const size = first?.kind === Kind.INT ? Number(first.value) : CONTENT_DEFAULT_PAGE;
    return Math.max(1, Math.ceil(size / CONTENT_ITEMS_PER_UNIT));
  }
  if (pageArgs.length === 0) return field.name.value === "tasks" ? DEFAULT_PAGE : 1;
  let largest = 1;
  for (const arg of pageArgs) {
    if (arg.value.kind === Kind.INT) largest = Math.max(largest, Number(arg.value.value));
    // A variable's value is unknown at validation: assume the largest page.
    else if (arg.value.kind === Kind.VARIABLE) largest = Math.max(largest, DEFAULT_PAGE);
  }
  return largest;
}
