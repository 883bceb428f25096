/**
 * Queries and mutations run through graphql-jit (via @envelop/graphql-jit): each document is
 * compiled once into plain JavaScript (cached per parsed document, which yoga's parse cache
 * keeps stable) and every later run skips graphql-js' per-field interpretation: ~25 % of a
 * 20-task list query's CPU (bench case 1, see bench/README.md).
 *
 * Clients must not be able to tell, so two gaps of graphql-jit are closed here (and
 * test/server/compiled-execution.test.ts compares both executors answer for answer):
 * - variables that do not coerce go to graphql-js, which answers them as a request error (400)
 *   with graphql-js' own message; graphql-jit would answer 200 with another wording;
 * - graphql-jit's field errors carry `locations` but not the AST `nodes` yoga rebuilds them
 *   from, so clients would get them without locations: they are rebuilt here on the
 *   operation's field nodes, with the thrown error as `originalError` (as graphql-js'
 *   locatedError does, so yoga masks unexpected errors exactly as before).
 * Subscriptions stay on graphql-js: they run once per stream.
 */
import { useGraphQlJit } from "@envelop/graphql-jit";
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

export interface CompiledExecutionOptions {
  /** A document graphql-jit could not compile (it then answers with the compile errors). */
  onCompileError?: (errors: readonly unknown[]) => void;
}

export function useCompiledExecution(options: CompiledExecutionOptions = {}): Plugin {
  const jit = useGraphQlJit(
    {},
    {
      enableIf: (args: ExecutionArgs) => {
        const operation = getOperationAST(args.document, args.operationName);
        if (operation == null || operation.operation === OperationTypeNode.SUBSCRIPTION) return false;
        const definitions = operation.variableDefinitions ?? [];
        if (definitions.length === 0) return true;
        return getVariableValues(args.schema, definitions, args.variableValues ?? {}, { maxErrors: 1 }).errors === undefined;
      },
      onError: (result) => options.onCompileError?.(result.errors ?? []),
    },
  ) as Plugin;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(jit);
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || result.errors === undefined) return;
          if (!result.errors.some(unlocated)) return;
          setResult(located(result, args.document as DocumentNode, args.operationName as string | null | undefined));
        },
      };
    },
  };
}

/** A field error (it has a path) without the AST nodes its locations come from. */
function unlocated(error: GraphQLError): boolean {
  return error.path !== undefined && (error.nodes === undefined || error.nodes.length === 0);
}

function located(result: ExecutionResult, document: DocumentNode, operationName: string | null | undefined): ExecutionResult {
  const operation = getOperationAST(document, operationName);
  if (operation == null) return result;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const errors = (result.errors ?? []).map((error) => {
    if (!unlocated(error)) return error;
    const path = error.path ?? [];
    const original = error.originalError ?? undefined;
    return new GraphQLError(error.message, { nodes: fieldNodesAt(operation, fragments, path), path, originalError: original, extensions: error.extensions });
  });
  return { ...result, errors };
}

/** The field nodes that produce the response entry at `path` (list indices skipped). */
function fieldNodesAt(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, path: readonly (string | number)[]): FieldNode[] {
  let sets: SelectionSetNode[] = [operation.selectionSet];
  let nodes: FieldNode[] = [];
  for (const key of path) {
    if (typeof key === "number") continue;
    nodes = [];
    for (const set of sets) collectFields(set, key, fragments, nodes, new Set());
    sets = nodes.flatMap((node) => (node.selectionSet === undefined ? [] : [node.selectionSet]));
  }
  return nodes;
}

function collectFields(set: SelectionSetNode, responseKey: string, fragments: ReadonlyMap<string, FragmentDefinitionNode>, out: FieldNode[], seen: Set<string>): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if ((selection.alias?.value ?? selection.name.value) === responseKey) out.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectFields(selection.selectionSet, responseKey, fragments, out, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment !== undefined) collectFields(fragment.selectionSet, responseKey, fragments, out, seen);
    }
  }
}
