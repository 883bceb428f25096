/**
 * Every error the gateway returns has an `extensions.code`. graphql-js refuses variables that
 * do not coerce to their types (`Variable "$first" got invalid value "x"; Int cannot represent
 * ...`) before anything runs, with no code: those become BAD_USER_INPUT naming the variable
 * (`extensions.variable`, and `field` `$first` or `$input.startTime` for a value inside it),
 * keeping the HTTP 400 of a refused request. Any other error still without a code is one of
 * graphql-js's own about the answer, and gets INTERNAL_SERVER_ERROR (errors.ts).
 *
 * Mapped where results are made (execution and subscription results, events of a stream too,
 * so every transport sees them), and once more on the final HTTP result for errors raised
 * before execution. Place it before the access log, which records the codes.
 */
import { GraphQLError, type ExecutionResult } from "graphql";
import { handleStreamOrSingleExecutionResult, isAsyncIterable, type Plugin } from "graphql-yoga";
import { badVariable, withFallbackCode } from "../errors.js";

/** graphql-js's coercion refusals: `Variable "$name" got invalid value … [at "name.path"]; why`. */
const COERCION = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" (got invalid value|of required type|of non-null type|expected value of type)/;
const AT_PATH = /^Variable "\$[_0-9A-Za-z]+" got invalid value .*? at "([^"]+)";/s;

/** An input object's field that is missing or unknown: `; Field "type" of required type …` / `… is not defined by type …`. */
const FIELD = /; Field "([_0-9A-Za-z]+)" (of required type|is not defined by type)/;

function ruleOf(error: GraphQLError, how: string, missingField: boolean): string {
  const rule = error.extensions["rule"];
  // Our scalars' refusals (DateTime) say which rule; graphql-js's own: missing or mistyped.
  if (typeof rule === "string") return rule;
  if (missingField) return "required";
  return how === "got invalid value" || how === "expected value of type" ? "variable-type" : "required";
}

/** The variable refusal as BAD_USER_INPUT, or null when `error` is something else. */
export function variableError(error: GraphQLError): GraphQLError | null {
  const match = COERCION.exec(error.message);
  if (match === null) return null;
  const [, variable = "", how = ""] = match;
  // `name.path[1].deeper` → `path.deeper`: the input path without list indexes, as fields are named.
  const at = AT_PATH.exec(error.message)?.[1] ?? variable;
  const field = FIELD.exec(error.message);
  const path = [at.slice(variable.length).replace(/\[\d+\]/g, "").replace(/^\./, ""), field?.[1] ?? ""].filter((part) => part !== "").join(".");
  return badVariable(variable, path, ruleOf(error, how, field?.[2] === "of required type"), error.message, error.nodes);
}

export function withCode(error: GraphQLError): GraphQLError {
  return variableError(error) ?? withFallbackCode(error);
}

function needsCode(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && (typeof error.extensions["code"] !== "string" || COERCION.test(error.message));
}

/** The result with every error coded; the same object when nothing changed. */
export function withCodes<R extends ExecutionResult>(result: R): R {
  const errors = result.errors;
  if (errors === undefined || !errors.some(needsCode)) return result;
  return { ...result, errors: errors.map((error) => (needsCode(error) ? withCode(error) : error)) };
}

export function useVariableErrors(): Plugin {
  const onResult = ({ result, setResult }: { result: ExecutionResult; setResult: (next: ExecutionResult) => void }): void => {
    const coded = withCodes(result);
    if (coded !== result) setResult(coded);
  };
  return {
    onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, onResult) }),
    onSubscribe: () => ({ onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, onResult) }),
    onResultProcess(payload) {
      const { result } = payload;
      if (isAsyncIterable(result)) return;
      if (Array.isArray(result)) {
        const coded = result.map((single) => withCodes(single));
        if (coded.some((single, i) => single !== result[i])) payload.setResult(coded);
        return;
      }
      const coded = withCodes(result);
      if (coded !== result) payload.setResult(coded);
    },
  };
}
