/** The upstream layer's public API: the signed client and what it is built from. */
export { createCdnClient, type CdnClient, type CdnClientOptions } from "./client.js";
export { Credentials, type CredentialsInit } from "./credentials.js";
export {
  createMemoryQuota,
  createQuota,
  createSharedQuota,
  createUnlimitedQuota,
  type QuotaAcquireOptions,
  type QuotaOptions,
  type QuotaPermit,
  type SharedQuotaOptions,
  type UpstreamQuota,
} from "./quota/index.js";
export { createRetryPolicy, isRetryable, type CallKind, type RetryPolicyOptions, type UpstreamRetryPolicy } from "./retry-policy.js";
export {
  createRequestSigner,
  formatAcsDate,
  type RequestSigner,
  type RequestSignerOptions,
  type SignatureVersion,
  type SignedRequest,
} from "./request-signer.js";
export { createTransport, type Transport, type TransportOptions, type UpstreamReply } from "./transport.js";
export {
  parseCreatedTask,
  parseDeletedTask,
  parseTaskPage,
  taskPageSchema,
  taskItemSchema,
  createdTaskSchema,
  deletedTaskSchema,
} from "./response-schemas.js";
export * from "./errors.js";
export * from "./types.js";
