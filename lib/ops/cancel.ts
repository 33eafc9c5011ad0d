// Bulk cancel: one DELETE per operation through a bounded pool, each failure an outcome. The
// `kill` command and the `--serve` webhook server both call this; it knows nothing of either.
import type { Client } from "../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../api/errors.ts";
import { cancelOperation, InvalidUuidError } from "../api/operations.ts";
import { canonicalUuid } from "../api/uuid.ts";
import { Interrupted } from "../async/abort.ts";
import { orderedPool } from "../async/pool.ts";
import type { DistinctUuids } from "./distinct.ts";
import { DEFAULT_CONCURRENCY } from "../config/env.ts";

/** What happened to one operation. */
export type CancelStatus = "cancelled" | "not_found" | "already_finished" | "failed";

/** The `error` of a DELETE that was in flight when the signal aborted: it may have landed. */
export const IN_FLIGHT_WHEN_INTERRUPTED = "unknown: in flight when interrupted";

/** The outcome of cancelling one operation; `error` is the API error's text when it failed. */
export interface CancelOutcome {
  /** The operation's UUID as attempted (canonical), or the text given when it was not a UUID. */
  uuid: string;
  /** What happened to it. */
  status: CancelStatus;
  /** The error's text, when `status` is `failed` (or the server refused). */
  error?: string;
  /** Set when the request never got an answer (network error or timeout). */
  network?: boolean;
  /** The API's HTTP status, when the failure was an answer from the API. */
  httpStatus?: number;
  /**
   * Set when the DELETE was in flight as `signal` aborted: whether it took effect is unknown
   * (`error` is {@link IN_FLIGHT_WHEN_INTERRUPTED}); sending it again is safe.
   */
  interrupted?: boolean;
  /** Set when `uuid` is not a UUID: nothing was sent for it. */
  invalid?: boolean;
}

/** Options for {@link cancelOperations}. */
export interface CancelOptions {
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Called once per attempted UUID, in input order. */
  onOutcome?: (outcome: CancelOutcome) => void;
  /**
   * Called once per outcome, in input order, right after {@link CancelOptions.onOutcome}; when
   * it returns true a stop flag is set: no new DELETE starts (those in flight finish). The kill
   * command stops at the first network failure this way.
   */
  stopAfter?: (outcome: CancelOutcome) => boolean;
  /**
   * Checked before each DELETE starts (keep it O(1), a flag); when it returns true no new DELETE
   * starts (those in flight finish).
   */
  shouldStop?: () => boolean;
  /**
   * Keep every outcome in {@link CancelReport.outcomes} (default true). With false the report's
   * `outcomes` stays empty and only {@link CancelOptions.onOutcome} sees them, so memory does
   * not grow with the number of operations beyond the UUID list itself.
   */
  keepOutcomes?: boolean;
  /**
   * Stops at once: no new DELETE starts and those in flight are aborted, each reported with
   * `interrupted` set. The report is still returned (never an exception).
   */
  signal?: AbortSignal;
  /**
   * `uuids` is a {@link DistinctUuids} (from `listActiveUuids` or `distinctUuids`): already
   * canonical and each operation once, so it is used as it is, without a second set of every
   * UUID to find repeats (8 MiB at 200,000 operations). Only such a list may be given with it:
   * the type checker refuses it with any other.
   */
  distinct?: boolean;
}

/** Result of a bulk cancel: outcomes in input order, and what was never attempted. */
export interface CancelReport {
  /** One outcome per attempted UUID, in input order (empty when `keepOutcomes` is false). */
  outcomes: CancelOutcome[];
  /** How many UUIDs were attempted (the number of outcomes reported). */
  attempted: number;
  /**
   * UUIDs never attempted because `stopAfter`/`shouldStop` said so or `signal` aborted (e.g.
   * Ctrl-C).
   */
  notAttempted: string[];
}

/** Classifies one DELETE's failure; never throws for API, response or network errors. */
function failedOutcome(uuid: string, e: unknown, signal?: AbortSignal): CancelOutcome {
  if (e instanceof Interrupted || signal?.aborted) {
    return { uuid, status: "failed", error: IN_FLIGHT_WHEN_INTERRUPTED, interrupted: true };
  }
  if (e instanceof ApiError) {
    const status = e.status === 404
      ? "not_found"
      : e.status === 409
      ? "already_finished"
      : "failed";
    const outcome: CancelOutcome = { uuid, status, error: e.message };
    if (e.status > 0) outcome.httpStatus = e.status;
    return outcome;
  }
  if (e instanceof NetworkError) return { uuid, status: "failed", error: e.message, network: true };
  if (e instanceof ResponseError) return { uuid, status: "failed", error: e.message };
  throw e;
}

/** One DELETE as an outcome (no closures per operation). */
async function cancelOne(
  client: Client,
  uuid: string,
  signal: AbortSignal | undefined,
): Promise<CancelOutcome> {
  try {
    await cancelOperation(client, uuid, { signal });
    return { uuid, status: "cancelled" };
  } catch (e) {
    return failedOutcome(uuid, e, signal);
  }
}

/** The operations a bulk command acts on, as {@link distinctTargets} gives them. */
export interface Targets {
  /**
   * Canonical UUIDs, each operation once (its first spelling's position kept), and the texts
   * that are not UUIDs, each where it stood. One array of strings: no object per operation,
   * which 200,000 operations would feel.
   */
  uuids: readonly string[];
  /** Indexes in `uuids` of the texts that are not UUIDs: reported, never sent. */
  invalid: ReadonlySet<number>;
}

/**
 * The operations to cancel (or preview), in the order {@link cancelOperations} attempts them.
 * A list already canonical and distinct is returned as it is, not copied (a copy would stay
 * alive for the whole run).
 *
 * @example
 * ```ts
 * const a = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
 * const t = distinctTargets([a.toUpperCase(), "../x", a]);
 * t.uuids; // [a, "../x"]
 * t.invalid.has(1); // true
 * ```
 */
export function distinctTargets(uuids: readonly string[]): Targets {
  return targetsOf(uuids, false);
}

/**
 * {@link distinctTargets}; with `vouched` (a {@link DistinctUuids} the caller passed with
 * `distinct: true`) the list is only searched for texts that are not UUIDs, not for repeats
 * (no second set of 200,000 UUIDs).
 */
function targetsOf(uuids: readonly string[], vouched: boolean): Targets {
  const invalid = new Set<number>();
  const seen = new Set<string>();
  let i = 0;
  if (vouched) {
    for (; i < uuids.length; i++) if (canonicalUuid(uuids[i]) === undefined) invalid.add(i);
  }
  for (; i < uuids.length; i++) {
    const text = uuids[i];
    if (canonicalUuid(text) !== text || seen.has(text)) break;
    seen.add(text);
  }
  if (i === uuids.length) return { uuids, invalid };
  const copy = uuids.slice(0, i);
  for (; i < uuids.length; i++) {
    const text = uuids[i];
    const canonical = canonicalUuid(text);
    if (canonical === undefined) {
      invalid.add(copy.length);
      copy.push(text);
    } else if (!seen.has(canonical)) {
      seen.add(canonical);
      copy.push(canonical);
    }
  }
  return { uuids: copy, invalid };
}

/**
 * Cancels operations with one `DELETE /v1/operations/{uuid}` each, through a bounded pool.
 * Per-operation failures are outcomes, not exceptions, so one bad UUID never stops the rest.
 * Each operation is cancelled once, whatever its spelling; a text that is not a UUID (say a
 * listed row's `"../x"`) is a failed outcome with `invalid` set, and nothing is sent for it.
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const fetch = () => Promise.resolve(new Response(null, { status: 202 })); // a stand-in API
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const report = await cancelOperations(client, ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]);
 * report.outcomes[0].status; // "cancelled" (else "not_found", "already_finished" or "failed")
 * ```
 */
export function cancelOperations(
  client: Client,
  uuids: readonly string[],
  opts?: CancelOptions & { distinct?: false },
): Promise<CancelReport>;
/**
 * {@link cancelOperations} of a list known to be canonical and distinct: `{ distinct: true }`
 * skips the duplicate check, and only a {@link DistinctUuids} is accepted with it.
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * import { distinctUuids } from "./distinct.ts";
 * const fetch = () => Promise.resolve(new Response(null, { status: 202 })); // a stand-in API
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const uuids = distinctUuids(["019E3FB6-E2D8-7350-A8F9-8B2B5EBFDA7F"]); // or listActiveUuids
 * const report = await cancelOperations(client, uuids, { distinct: true });
 * report.outcomes[0].uuid; // "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"
 * ```
 */
export function cancelOperations(
  client: Client,
  uuids: DistinctUuids,
  opts: CancelOptions,
): Promise<CancelReport>;
export async function cancelOperations(
  client: Client,
  uuids: readonly string[],
  opts: CancelOptions = {},
): Promise<CancelReport> {
  const outcomes: CancelOutcome[] = [];
  const keep = opts.keepOutcomes ?? true;
  const { uuids: targets, invalid } = targetsOf(uuids, opts.distinct ?? false);
  const signal = opts.signal;
  const { onOutcome, stopAfter, shouldStop } = opts;
  // Set once (an outcome asked to stop); checked in O(1) before each DELETE starts.
  let stop = false;
  let attempted = 0;
  const started = await orderedPool(
    targets,
    opts.concurrency ?? DEFAULT_CONCURRENCY,
    (uuid, i) =>
      invalid.has(i)
        ? Promise.resolve<CancelOutcome>({
          uuid,
          status: "failed",
          error: new InvalidUuidError(uuid).message,
          invalid: true,
        })
        : cancelOne(client, uuid, signal),
    (_, outcome) => {
      attempted++;
      if (keep) outcomes.push(outcome);
      onOutcome?.(outcome);
      if (stopAfter?.(outcome)) stop = true;
    },
    () => stop || (signal?.aborted ?? false) || (shouldStop?.() ?? false),
  );
  const notAttempted: string[] = [];
  for (let i = started; i < targets.length; i++) notAttempted.push(targets[i]);
  return { outcomes, attempted, notAttempted };
}
