/**
 * The error codes the emulator answers with, and their HTTP statuses, as the upstream documents
 * them (shared/docs/upstream-api.md). Messages are the upstream's own words where known.
 */

const CATALOGUE = {
  // Signing and authentication.
  IncompleteSignature: [400, "The request signature does not conform to Aliyun standards."],
  SignatureDoesNotMatch: [400, "Specified signature does not match our calculation."],
  "InvalidAccessKeyId.NotFound": [404, "Specified access key is not found."],
  "InvalidTimeStamp.Expired": [400, "Specified time stamp or date value is expired."],
  "InvalidTimeStamp.Format": [400, "Specified time stamp or date value is not well formatted."],
  SignatureNonceUsed: [400, "Specified signature nonce was used already."],
  InvalidSignatureMethod: [400, "Specified signature method is not valid."],
  MissingSecurityToken: [400, "SecurityToken is mandatory for this AccessKey."],
  "InvalidSecurityToken.MismatchWithAccessKey": [400, "Specified SecurityToken mismatch with the AccessKey."],
  // Routing.
  "InvalidAction.NotFound": [404, "Specified api is not found, please check your url and method."],
  InvalidVersion: [400, "Specified parameter Version is not valid."],
  UnsupportedHTTPMethod: [405, "This http method is not supported."],
  RequestTooLarge: [413, "The request body is too large."],
  // Parameters.
  InvalidParameter: [400, "Invalid Parameter."],
  MissingTimeParameter: [400, "The StartTime and EndTime parameters are required."],
  "InvalidStartTime.Malformed": [400, "Specified StartTime is malformed."],
  "InvalidEndTime.Malformed": [400, "Specified EndTime is malformed."],
  InvalidParameterStartTime: [400, "Invalid Parameter StartTime."],
  InvalidParameterEndTime: [400, "Invalid Parameter EndTime."],
  InvalidTimeRange: [400, "StartTime and EndTime range should less than 1 month."],
  // Not in the upstream's published table: the emulator's choice for deleting a TaskId it does
  // not hold (the `<Param>.NotFound` + 404 convention the API uses elsewhere).
  "InvalidTaskId.NotFound": [404, "The specified TaskId does not exist."],
  // Downloads (the object store's word for a missing file).
  NoSuchKey: [404, "The specified key does not exist."],
  // Quota and server trouble.
  Throttling: [503, "Request was denied due to request throttling."],
  ServiceUnavailable: [503, "The request has failed due to a temporary failure of the server."],
  InternalError: [500, "The request processing has failed due to some unknown error, exception or failure."],
} as const satisfies Record<string, readonly [number, string]>;

export type ApiErrorCode = keyof typeof CATALOGUE;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    /** Extra explanation after the catalogue message; never holds a secret or a signature. */
    detail?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    const [status, message] = CATALOGUE[code];
    super(detail ? `${message} ${detail}` : message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** `Throttling` (503) with `x-acs-retry-after`: milliseconds until the caller may try again. */
export function throttlingError(retryAfterMs: number): ApiError {
  return new ApiError("Throttling", undefined, { "x-acs-retry-after": String(Math.max(1, Math.ceil(retryAfterMs))) });
}
