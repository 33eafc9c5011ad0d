/**
 * contree as a library: cancel, list, show and wait for ConTree operations, resolve
 * session-history references, and run the CLI itself.
 *
 * @example
 * ```ts
 * import { cancelOperations, createClient } from "./mod.ts";
 *
 * // A stand-in API that accepts every cancel; pass nothing to use the global fetch.
 * const fetch = () => Promise.resolve(new Response(null, { status: 202 }));
 * const client = createClient({ url: "https://api.example.com", auth: "jwt", token: "t", fetch });
 * const report = await cancelOperations(client, ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]);
 * report.outcomes[0].status; // "cancelled"
 * ```
 *
 * @module
 */

// The API client and its errors.
export {
  type ApiResponse,
  type Client,
  type ClientOptions,
  createClient,
  type GetJsonOptions,
  type RequestOptions,
} from "./lib/api/client.ts";
export { Interrupted } from "./lib/async/abort.ts";
export { ApiError, NetworkError, ResponseError } from "./lib/api/errors.ts";
export {
  ACTIVE_STATUSES,
  fetchOperation,
  type Operation,
  TERMINAL_STATUSES,
} from "./lib/api/operations.ts";

// Cancelling operations (the same code `contree kill` and `--serve` use).
export {
  cancelOperations,
  type CancelOptions,
  type CancelOutcome,
  type CancelReport,
  type CancelStatus,
  IN_FLIGHT_WHEN_INTERRUPTED,
} from "./lib/ops/cancel.ts";
export { type ActiveListOptions, listActiveUuids } from "./lib/ops/active.ts";

// Listing, showing and waiting for operations (what `ps`, `show` and `op wait` use).
export {
  fetchPages,
  type FetchPagesOptions,
  type ListFilters,
  listOperations,
  type ListOptions,
  pagePlan,
} from "./lib/api/pages.ts";
export { decodeStream, operationStreams, showOperation, showRow } from "./lib/commands/show.ts";
export {
  type WaitEvent,
  waitExitCode,
  waitForOperations,
  type WaitOptions,
  type WaitReport,
} from "./lib/commands/wait.ts";
export { openOperationCache, type OperationCache } from "./lib/session/cache.ts";
export { isoZ, parseTimeArg } from "./lib/cli/times.ts";

// The output formatter behind every `-f` format, and Python-compatible JSON.
export {
  createFormatter,
  type Formatter,
  type FormatterOptions,
  type SinkOptions,
} from "./lib/output/formatter.ts";
export { FORMAT_NAMES, type FormatName } from "./lib/output/names.ts";
export { dumps, parseJson, PyFloat } from "./lib/output/pyjson.ts";

// Webhook signatures as `contree kill --serve` checks them (Standard Webhooks and GitHub), for
// senders and receivers; the server itself is started by the CLI.
export {
  type Delivery,
  type GithubHeaders,
  parseSecrets,
  type RejectCode,
  type Scheme,
  SecretError,
  signGithubWebhook,
  signStandardWebhook,
  type StandardHeaders,
  type Verification,
  verifyGithubWebhook,
  verifyRequest,
  verifyStandardWebhook,
  type WebhookSecrets,
} from "./lib/serve/verify/index.ts";

// Configuration and identifiers.
export { type Profile, type ProfileOverrides, resolveProfile } from "./lib/config/config.ts";
export type { Ini } from "./lib/config/ini.ts";
export type { Env, Io, Writer } from "./lib/cli/io.ts";
export { canonicalUuid } from "./lib/api/uuid.ts";

// Session-history references.
export {
  type HistoryEntry,
  type HistoryStore,
  parseReference,
  type Reference,
  resolveTokens,
  splitTokens,
} from "./lib/session/refs.ts";
// `resolveReferences`: what `contree kill HEAD` does before sending, for a profile's history.
export { openHistoryStore, type ResolveOptions, resolveReferences } from "./lib/session/session.ts";
export { HistoryStoreError, ReferenceError } from "./lib/session/refs.ts";

// The CLI itself.
export { runCli, type RunOptions } from "./lib/cli/run.ts";
export { VERSION } from "./lib/version.ts";
