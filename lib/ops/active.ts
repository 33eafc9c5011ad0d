// The active listing behind `kill --all`, `op wait --all` and the server's `{"all": true}`.
import type { Client } from "../api/client.ts";
import { ResponseError } from "../api/errors.ts";
import { ACTIVE_PAGE_SIZE, ACTIVE_STATUSES, type Operation, pageItems } from "../api/operations.ts";
import { fetchPages, repeatWarning } from "../api/pages.ts";
import { canonicalUuid } from "../api/uuid.ts";
import { log } from "../log/log.ts";
import { type DistinctUuids, distinctUuids, firstPerOperation } from "./distinct.ts";

/** Most pages listed per status before `--all` gives up with an error (100,000 operations). */
export const MAX_ACTIVE_PAGES = 1000;

/** Options of {@link listActiveUuids}. */
export interface ActiveListOptions {
  /** Only operations of this kind (`instance`, `image_import`). */
  kind?: string;
  /** Page size (default {@link ACTIVE_PAGE_SIZE}, the original's 100). */
  pageSize?: number;
  /** Most pages per status (default {@link MAX_ACTIVE_PAGES}); more is an error. */
  maxPages?: number;
  /** Aborts the listing: its requests reject with `Interrupted`. */
  signal?: AbortSignal;
}

/**
 * Lists the UUIDs of every active operation for `--all`: per status, `limit`/`offset` pages
 * until a short page (the original's request pattern, one request at a time per status). The
 * three statuses are fetched concurrently; the result is in status order (PENDING, ASSIGNED,
 * EXECUTING), then server order, without duplicates (an operation moving
 * between statuses mid-listing is cancelled once). A page bringing no UUID not seen before ends
 * that status with a WARNING; more than `maxPages` full pages is a {@link ResponseError}.
 * Each UUID is returned in canonical form, each operation once whatever its spelling; a listed
 * text that is not a UUID is kept as it is (callers report it and never send it). The result is
 * a {@link DistinctUuids}: `cancelOperations(client, uuids, { distinct: true })` trusts it.
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * // A stand-in API with one active operation, listed under PENDING.
 * const fetch = (url: string | URL | Request) =>
 *   Promise.resolve(Response.json(
 *     String(url).includes("PENDING") ? [{ uuid: "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f" }] : [],
 *   ));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const uuids = await listActiveUuids(client, { kind: "instance" });
 * // ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]
 * ```
 */
export async function listActiveUuids(
  client: Client,
  opts: ActiveListOptions = {},
): Promise<DistinctUuids> {
  const perStatus = await listPerStatus(client, opts, (op) => op.uuid);
  return distinctUuids(perStatus.values().flatMap((listed) => listed));
}

/**
 * {@link listActiveUuids} keeping the listed operations (for `kill --dry-run` rows and the
 * prompt's kinds): the same requests and order, each operation once whatever its spelling (the
 * first listing kept, as the server spelled it).
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const fetch = (url: string | URL | Request) =>
 *   Promise.resolve(Response.json(
 *     String(url).includes("PENDING")
 *       ? [{ uuid: "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f", kind: "instance" }]
 *       : [],
 *   ));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const ops = await listActiveOperations(client);
 * ops[0].kind; // "instance"
 * ```
 */
export async function listActiveOperations(
  client: Client,
  opts: ActiveListOptions = {},
): Promise<Operation[]> {
  const perStatus = await listPerStatus(client, opts, (op) => op);
  return firstPerOperation(
    perStatus.values().flatMap((listed) => listed),
    (op) => canonicalUuid(op.uuid) ?? op.uuid,
  );
}

/**
 * The active listing, one list per status in status order, keeping `pick(op)` of each listed
 * operation: with `pick` returning the UUID, the pages and the operation objects are garbage as
 * soon as each page is read (200,000 operations then cost their UUIDs, not their objects).
 */
function listPerStatus<T>(
  client: Client,
  opts: ActiveListOptions,
  pick: (op: Operation) => T,
): Promise<T[][]> {
  const pageSize = opts.pageSize ?? ACTIVE_PAGE_SIZE;
  const maxPages = opts.maxPages ?? MAX_ACTIVE_PAGES;
  return Promise.all(ACTIVE_STATUSES.map(async (status) => {
    const queryAt = (offset: number): [string, string][] => {
      const query: [string, string][] = [["status", status]];
      if (opts.kind) query.push(["kind", opts.kind]);
      query.push(["limit", String(pageSize)], ["offset", String(offset)]);
      return query;
    };
    const listed: T[] = [];
    const pages = fetchPages(async (offset) => {
      const body = await client.getJson("/v1/operations", queryAt(offset), {
        signal: opts.signal,
      });
      return pageItems(body);
    }, {
      pageSize,
      maxPages,
      concurrency: 1,
      key: (op) => op.uuid,
      onRepeat: (offset) => log.warning(repeatWarning("/v1/operations", queryAt(offset))),
      onCap: () =>
        new ResponseError(
          `Listing of ${status} operations stopped at ${maxPages} pages (GET /v1/operations?${new URLSearchParams(
            queryAt((maxPages - 1) * pageSize),
          )} was still full); narrow the listing or cancel by UUID`,
        ),
    });
    for await (const page of pages) for (const op of page) listed.push(pick(op));
    return listed;
  }));
}
