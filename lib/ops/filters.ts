// `kill --all`'s filters (`-k/--kind`, `--status`, `--since`, `--until`, `--older-than`) and the
// listing they choose: without filters the original's active listing (lib/ops/active.ts),
// with them one `ps`-shaped listing per active status. What the server lists is checked against
// the filters again here, so a server that ignores a query parameter never widens a cancel.
import type { Client } from "../api/client.ts";
import { ACTIVE_STATUSES, type Operation } from "../api/operations.ts";
import { listOperations } from "../api/pages.ts";
import { log } from "../log/log.ts";
import { listActiveOperations, listActiveUuids } from "./active.ts";
import { type DistinctUuids, distinctUuids } from "./distinct.ts";

/** The filters of `kill --all`, as sent (full status word, ISO-8601 UTC instants). */
export interface ActiveFilters {
  /** One active status (`PENDING`, `ASSIGNED`, `EXECUTING`); all three when absent. */
  status?: string;
  /** `instance` or `image_import`. */
  kind?: string;
  /** Created at or after this instant. */
  since?: string;
  /** Created at or before this instant. */
  until?: string;
}

/** The filter flags as the command table parses them. */
export interface FilterArgs {
  /** `--status`: a letter (`P`, `A`, `E`) or the word. */
  status?: string;
  /** `-k/--kind`. */
  kind?: string;
  /** `--since`, an ISO-8601 UTC instant. */
  since?: string;
  /** `--until`, an ISO-8601 UTC instant. */
  until?: string;
  /** `--older-than`, already the instant that long ago. */
  older_than?: string;
}

const LETTERS: Record<string, string> = { P: "PENDING", A: "ASSIGNED", E: "EXECUTING" };

/**
 * The filters of parsed flags: status letters spelled out; `--until` and `--older-than`
 * together keep the earlier bound (both must hold).
 *
 * @example
 * ```ts
 * activeFilters({ status: "P", kind: "instance" }); // { status: "PENDING", kind: "instance" }
 * ```
 */
export function activeFilters(args: FilterArgs): ActiveFilters {
  const out: ActiveFilters = {};
  if (args.status) out.status = LETTERS[args.status] ?? args.status;
  if (args.kind) out.kind = args.kind;
  if (args.since) out.since = args.since;
  const bounds = [args.until, args.older_than].filter((b): b is string => Boolean(b));
  if (bounds.length) {
    out.until = bounds.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  }
  return out;
}

/**
 * Whether any filter is set.
 *
 * @example
 * ```ts
 * hasFilters({}); // false
 * hasFilters({ kind: "instance" }); // true
 * ```
 */
export function hasFilters(f: ActiveFilters): boolean {
  return Boolean(f.status || f.kind || f.since || f.until);
}

/**
 * Whether a listed operation satisfies the filters: an active status (the one asked for, if
 * any), the kind, and a `created_at` within the bounds (an operation without a readable
 * `created_at` never passes a time bound).
 *
 * @example
 * ```ts
 * matches({ uuid: "u", status: "PENDING", kind: "instance" }, { kind: "instance" }); // true
 * matches({ uuid: "u", status: "SUCCESS", kind: "instance" }, { kind: "instance" }); // false
 * ```
 */
export function matches(op: Operation, f: ActiveFilters): boolean {
  const statuses: readonly string[] = f.status ? [f.status] : ACTIVE_STATUSES;
  if (typeof op.status !== "string" || !statuses.includes(op.status)) return false;
  if (f.kind && op.kind !== f.kind) return false;
  if (f.since || f.until) {
    const created = typeof op.created_at === "string" ? Date.parse(op.created_at) : NaN;
    if (Number.isNaN(created)) return false;
    if (f.since && created < Date.parse(f.since)) return false;
    if (f.until && created > Date.parse(f.until)) return false;
  }
  return true;
}

/** Options of {@link listTargets}. */
export interface ListTargetsOptions {
  /** Page requests in flight for a filtered listing (default 8). */
  concurrency?: number;
  /** Aborts the listing: its requests reject with `Interrupted`. */
  signal?: AbortSignal;
}

/**
 * The active operations `kill --all` acts on. Without filters: the original's listing (status
 * by status, `limit`/`offset` pages of 100). With filters: for the chosen status (or each active
 * one, in order) the listing `ps` sends (`status`, `kind`, `since`, `until`, `offset`, `limit`),
 * then each operation checked against the filters; those that do not match are left out with
 * a WARNING. Each operation once, in status then server order.
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const op = { uuid: "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f", status: "PENDING", kind: "instance" };
 * const fetch = (url: string | URL | Request) =>
 *   Promise.resolve(Response.json(String(url).includes("PENDING") ? [op] : []));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const ops = await listTargets(client, { kind: "instance" });
 * ops.length; // 1
 * ```
 */
export function listTargets(
  client: Client,
  filters: ActiveFilters,
  opts: ListTargetsOptions = {},
): Promise<Operation[]> {
  if (!hasFilters(filters)) return listActiveOperations(client, { signal: opts.signal });
  return listFiltered(client, filters, opts, (op) => op);
}

/**
 * {@link listTargets} keeping only the UUIDs (same requests, order and warnings): what `kill
 * --all` needs when it neither prints `--dry-run` rows nor asks, so no listed operation object
 * outlives its page. Canonical and each operation once (a {@link DistinctUuids}).
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const op = { uuid: "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f", status: "PENDING", kind: "instance" };
 * const fetch = (url: string | URL | Request) =>
 *   Promise.resolve(Response.json(String(url).includes("PENDING") ? [op] : []));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * await listTargetUuids(client, {}); // ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]
 * ```
 */
export async function listTargetUuids(
  client: Client,
  filters: ActiveFilters,
  opts: ListTargetsOptions = {},
): Promise<DistinctUuids> {
  if (!hasFilters(filters)) return await listActiveUuids(client, { signal: opts.signal });
  return distinctUuids(await listFiltered(client, filters, opts, (op) => op.uuid));
}

async function listFiltered<T>(
  client: Client,
  filters: ActiveFilters,
  opts: ListTargetsOptions,
  pick: (op: Operation) => T,
): Promise<T[]> {
  const statuses = filters.status ? [filters.status] : ACTIVE_STATUSES;
  const seen = new Set<string>();
  const out: T[] = [];
  let dropped = 0;
  for (const status of statuses) {
    const pages = listOperations(client, { ...filters, status }, {
      concurrency: opts.concurrency,
      signal: opts.signal,
    });
    for await (const page of pages) {
      for (const op of page) {
        if (seen.has(op.uuid)) continue;
        seen.add(op.uuid);
        if (matches(op, { ...filters, status })) out.push(pick(op));
        else dropped++;
      }
    }
  }
  if (dropped) {
    log.warning(
      `Left out ${dropped} listed operation(s) that do not match the filters (the server seems to ignore some of them)`,
    );
  }
  return out;
}
