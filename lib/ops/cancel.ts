// Bulk cancel: one DELETE per operation through a bounded pool, each failure an outcome. The
// `kill` command and the `--serve` webhook server both call this; it knows nothing of either.
import type { Client } from "../api/client.ts";
import { ApiError, NetworkError } from "../api/errors.ts";
import { cancelOperation } from "../api/operations.ts";
import { orderedPool } from "../async/pool.ts";
import { envNumber } from "../config/env.ts";

/** What happened to one operation. */
export type CancelStatus = "cancelled" | "not_found" | "already_finished" | "failed";

/** The outcome of cancelling one operation; `error` is the API error's text when it failed. */
export interface CancelOutcome {
  /** The operation's UUID, as attempted. */
  uuid: string;
  /** What happened to it. */
  status: CancelStatus;
  /** The error's text, when `status` is `failed` (or the server refused). */
  error?: string;
  /** Set when the request never got an answer (network error or timeout). */
  network?: boolean;
}

/** Options for {@link cancelOperations}. */
export interface CancelOptions {
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Called once per attempted UUID, in input order. */
  onOutcome?: (outcome: CancelOutcome) => void;
  /** When it returns true, no new DELETE is started (in-flight ones finish). */
  shouldStop?: (outcomes: readonly CancelOutcome[]) => boolean;
}

/** Result of a bulk cancel: outcomes in input order, and what was never attempted. */
export interface CancelReport {
  /** One outcome per attempted UUID, in input order. */
  outcomes: CancelOutcome[];
  /** UUIDs never attempted because `shouldStop` said so (e.g. after Ctrl-C). */
  notAttempted: string[];
}

/** Default number of DELETEs in flight (`CONTREE_CONCURRENCY` overrides it). */
export const DEFAULT_CONCURRENCY = 8;

/** Classifies one DELETE's failure; never throws for API or network errors. */
function failedOutcome(uuid: string, e: unknown): CancelOutcome {
  if (e instanceof ApiError) {
    const status = e.status === 404
      ? "not_found"
      : e.status === 409
      ? "already_finished"
      : "failed";
    return { uuid, status, error: e.message };
  }
  if (e instanceof NetworkError) return { uuid, status: "failed", error: e.message, network: true };
  throw e;
}

/**
 * Cancels operations with one `DELETE /v1/operations/{uuid}` each, through a bounded pool.
 * Per-operation failures are outcomes, not exceptions, so one bad UUID never stops the rest.
 *
 * @example
 * ```ts
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t" });
 * const report = await cancelOperations(client, ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]);
 * report.outcomes[0].status; // "cancelled", "not_found", "already_finished" or "failed"
 * ```
 */
export async function cancelOperations(
  client: Client,
  uuids: readonly string[],
  opts: CancelOptions = {},
): Promise<CancelReport> {
  const outcomes: CancelOutcome[] = [];
  const started = await orderedPool(
    uuids,
    opts.concurrency ?? DEFAULT_CONCURRENCY,
    (uuid) =>
      cancelOperation(client, uuid).then(
        (): CancelOutcome => ({ uuid, status: "cancelled" }),
        (e) => failedOutcome(uuid, e),
      ),
    (_, outcome) => {
      outcomes.push(outcome);
      opts.onOutcome?.(outcome);
    },
    () => opts.shouldStop?.(outcomes) ?? false,
  );
  return { outcomes, notAttempted: uuids.slice(started) };
}

/** Reads `CONTREE_CONCURRENCY` (a positive integer), as the original does. */
export function concurrencyFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  return envNumber(env, "CONTREE_CONCURRENCY", {
    fallback: DEFAULT_CONCURRENCY,
    min: 1,
    integer: true,
  });
}
