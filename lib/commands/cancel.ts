// `contree kill` and `contree op cancel` (aliases `op kill`, `op k`): one handler, and the
// bulk-cancel function that `--serve` reuses so a webhook does exactly what the command does.
import type { Client } from "../api/client.ts";
import { ApiError, NetworkError } from "../api/errors.ts";
import { cancelOperation } from "../api/operations.ts";
import type { CommandContext } from "../cli/spec.ts";
import { envNumber } from "../env.ts";
import { log } from "../log.ts";
import { orderedPool } from "../pool.ts";
import { targetUuids } from "./targets.ts";

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

/** Raised after a bulk command stopped on Ctrl-C; the CLI maps it to `User interrupted`, 130. */
export class Interrupted extends Error {
  override name = "Interrupted";
  constructor() {
    super("User interrupted");
  }
}

/** Reads `CONTREE_CONCURRENCY` (a positive integer), as the original does. */
export function concurrencyFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  return envNumber(env, "CONTREE_CONCURRENCY", {
    fallback: DEFAULT_CONCURRENCY,
    min: 1,
    integer: true,
  });
}

/** The `kill` / `op cancel` handler. `args.uuids` arrive already resolved to canonical UUIDs. */
export async function cancel(ctx: CommandContext): Promise<number> {
  // The webhook server is loaded only when asked for, so plain commands never load Hono.
  if (ctx.args.serve) return (await import("../serve/server.ts")).serve(ctx);
  const uuids = await targetUuids(ctx, "cancel");
  if (typeof uuids === "number") return uuids;

  const report = await cancelOperations(ctx.client, uuids, {
    concurrency: concurrencyFromEnv(ctx.io.env),
    // A network error that survived the retries ends the command, as in the original.
    shouldStop: (outcomes) => ctx.interrupt.aborted || outcomes.some((o) => o.network),
    onOutcome: (o) => {
      if (o.status === "cancelled") log.info(`Cancelled operation ${o.uuid}`);
      else if (!o.network) log.error(`Failed to cancel ${o.uuid}: ${o.error}`);
    },
  });
  const networkFailure = report.outcomes.find((o) => o.network);
  const stoppedEarly = networkFailure || ctx.interrupt.aborted;
  if (stoppedEarly) {
    const cancelled = report.outcomes.filter((o) => o.status === "cancelled").length;
    const failed = report.outcomes.length - cancelled;
    const left = [
      ...report.outcomes.filter((o) => o.network).map((o) => o.uuid),
      ...report.notAttempted,
    ];
    log.warning(
      `Stopped early: ${cancelled} cancelled, ${failed} failed, ${report.notAttempted.length} not attempted`,
    );
    if (left.length) log.warning(`Not cancelled: ${left.join(" ")}`);
    if (networkFailure) throw new NetworkError(networkFailure.error!, "NetworkError");
    throw new Interrupted();
  }
  return report.outcomes.some((o) => o.status !== "cancelled") ? 1 : 0;
}
