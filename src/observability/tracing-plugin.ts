/**
 * The operation span (design.md "Tracing: OpenTelemetry"): `<type> <name>` (`query Tasks`, or
 * `query` alone for an anonymous operation) under the HTTP request's SERVER span, with
 * `graphql.operation.type` and `graphql.operation.name`. Resolvers run inside it, so page reads
 * and upstream calls are its children. The document text and the variables are never recorded.
 * A subscription's span covers setting up the stream; the live poller's spans link back to it.
 */
import { getOperationAST, type DocumentNode, type ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { markFailed, openSpan, SpanKind, type OpenSpan } from "./spans.js";

export function useTracing(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = startOperationSpan(args.document, args.operationName);
      if (operation === null) return;
      setExecuteFn((executeArgs): unknown => operation.run(() => settleOnFailure(operation, (): unknown => executeFn(executeArgs))));
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) {
            finish(operation, result);
            return;
          }
          // Incremental delivery: the operation lasts until its last part.
          return { onNext: ({ result: part }) => recordErrors(operation, part), onEnd: () => operation.end() };
        },
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const operation = startOperationSpan(args.document, args.operationName);
      if (operation === null) return;
      setSubscribeFn((subscribeArgs): unknown => operation.run(() => settleOnFailure(operation, (): unknown => subscribeFn(subscribeArgs))));
      return {
        onSubscribeResult({ result }) {
          if (isAsyncIterable(result)) operation.end();
          else finish(operation, result);
        },
        onSubscribeError({ error }) {
          markFailed(operation.span, error);
          operation.end();
        },
      };
    },
  };
}

function startOperationSpan(document: unknown, operationName: unknown): OpenSpan | null {
  // envelop types these loosely; they are graphql-js execute arguments.
  const ast = getOperationAST(document as DocumentNode, typeof operationName === "string" ? operationName : undefined);
  const type = ast?.operation ?? "query";
  const name = ast?.name?.value;
  return openSpan(name === undefined ? type : `${type} ${name}`, {
    kind: SpanKind.INTERNAL,
    attributes: { "graphql.operation.type": type, ...(name === undefined ? {} : { "graphql.operation.name": name }) },
  });
}

/** An execution that throws never reaches onExecuteDone: its span is ended here. */
function settleOnFailure<T>(operation: OpenSpan, work: () => T | Promise<T>): T | Promise<T> {
  const failed = (error: unknown): never => {
    markFailed(operation.span, error);
    operation.end();
    throw error;
  };
  try {
    const result = work();
    return result instanceof Promise ? result.catch(failed) : result;
  } catch (error) {
    return failed(error);
  }
}

function finish(operation: OpenSpan, result: ExecutionResult): void {
  recordErrors(operation, result);
  operation.end();
}

/** The first error's catalogue code as `error.type` (errors.ts gives every error one). */
function recordErrors(operation: OpenSpan, result: ExecutionResult): void {
  const first = result.errors?.[0];
  if (first === undefined) return;
  const code = first.extensions?.code;
  markFailed(operation.span, null, typeof code === "string" ? code : "UNKNOWN");
}
