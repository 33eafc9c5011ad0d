/**
 * contree as a library: cancel, list, show and wait for ConTree operations, resolve
 * session-history references, and run the CLI itself.
 *
 * @example
 * ```ts
 * import { cancelOperations, createClient } from "./mod.ts";
 *
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t" });
 * const report = await cancelOperations(client, ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]);
 * console.log(report.outcomes);
 * ```
 *
 * @module
 */

// The API client and its errors.
export { type Client, type ClientOptions, createClient } from "./lib/api/client.ts";
export { ApiError, NetworkError, ResponseError } from "./lib/api/errors.ts";
export {
  ACTIVE_STATUSES,
  getOperation,
  listActiveUuids,
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
} from "./lib/commands/cancel.ts";

// Configuration and identifiers.
export { type Profile, resolveProfile } from "./lib/config.ts";
export { canonicalUuid } from "./lib/uuid.ts";

// Session-history references.
export {
  type HistoryStore,
  parseReference,
  type Reference,
  resolveTokens,
  splitTokens,
} from "./lib/refs.ts";

// The CLI itself.
export { runCli } from "./lib/cli/run.ts";
export { VERSION } from "./lib/version.ts";
