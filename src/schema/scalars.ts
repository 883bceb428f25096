/**
 * `DateTime`: ISO 8601 UTC, seconds precision (`yyyy-MM-ddTHH:mm:ssZ`). Output normalises
 * whatever time the resolvers hand over. Input keeps the string: the format rule is checked by
 * the input fields' validation (`dateTimeInput`), which knows the field path to report.
 */
import { Kind } from "graphql";
import { badUserInput, ErrorCode, gatewayError } from "../errors.js";
import { toUtcSeconds } from "../resolvers/date-time.js";
import { Rule } from "../resolvers/input-rules.js";
import { builder } from "./builder.js";

function notAString(): never {
  throw badUserInput("DateTime", Rule.DATE_TIME_FORMAT, "DateTime must be a string yyyy-MM-ddTHH:mm:ssZ");
}

export const DateTime = builder.scalarType("DateTime", {
  description: "ISO 8601 date-time in UTC with seconds precision: yyyy-MM-ddTHH:mm:ssZ.",
  serialize: (value) => {
    const text = toUtcSeconds(value);
    // Times reach clients from the upstream's task list; one that is not a time is a malformed answer.
    if (text === null) {
      throw gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "The upstream answered with a time the gateway cannot read as a DateTime", {
        reason: "malformed-response",
      });
    }
    return text;
  },
  parseValue: (value) => (typeof value === "string" ? value : notAString()),
  parseLiteral: (node) => (node.kind === Kind.STRING ? node.value : notAString()),
});
