// The one pager: the concurrent paged fetcher behind `ps`/`op list`, `kill --all` and the
// webhook server's `all` (lib/ops/active.ts).
import { log } from "../log/log.ts";
import type { Client } from "./client.ts";
import { ResponseError } from "./errors.ts";
import { type Operation, pageItems } from "./operations.ts";

/** The fetcher's default page size. */
export const PAGE_SIZE = 1000;
/** Most pages one `ps` listing requests (the original's "no limit" mode stops there too). */
export const MAX_PAGES = 1000;

/**
 * Page size and page cap for a record budget (undefined = the internal "no limit" mode).
 *
 * @example
 * ```ts
 * pagePlan(1000); // { pageSize: 1000, maxPages: 3 }
 * pagePlan(5);    // { pageSize: 6, maxPages: 2 }
 * ```
 */
export function pagePlan(
  limit?: number,
  pageSize = PAGE_SIZE,
): { pageSize: number; maxPages: number } {
  if (limit === undefined) return { pageSize, maxPages: MAX_PAGES };
  const size = Math.min(pageSize, limit + 1);
  return { pageSize: size, maxPages: Math.floor((limit + size) / size) + 1 };
}

/** Options of {@link fetchPages}. */
export interface FetchPagesOptions<T = unknown> {
  /** Records requested per page (`limit`). */
  pageSize: number;
  /** Most pages to request before giving up (a safety cap). */
  maxPages: number;
  /** Page requests in flight at once. */
  concurrency: number;
  /**
   * An item's identity. With it, a non-empty page that brings no key not seen before (a server
   * ignoring `offset`) ends the listing: it is not yielded and `onRepeat` is called.
   */
  key?: (item: T) => string;
  /**
   * Whether the consumer may want more than `received` items (default: always). While it says
   * so, the next page is requested before the consumer has taken this one.
   */
  wants?: (received: number) => boolean;
  /** Called once with the offset of the page that brought nothing new. */
  onRepeat?: (offset: number) => void;
  /**
   * Called when `maxPages` full pages were consumed and more would follow; an error it returns
   * is thrown (a listing that must not be cut silently), undefined ends quietly (a budget).
   */
  onCap?: () => Error | undefined;
}

/**
 * Fetches pages `offset = i × pageSize` concurrently and yields them strictly in offset order.
 * Up to `concurrency` requests run at once; each full page that arrives starts one more (before
 * it is handed to the consumer), until `maxPages`. The first empty or short page stops it: queued offsets are never requested,
 * requests in flight are drained (non-empty pages still yielded). Breaking out of the loop
 * stops it too. A failed page request rejects the iteration. With `key`, a page of items all
 * seen before stops it as well (see {@link FetchPagesOptions.key}).
 *
 * @example
 * ```ts
 * const rows = Array.from({ length: 2500 }, (_, i) => i);
 * const getPage = (offset: number, limit: number) =>
 *   Promise.resolve(rows.slice(offset, offset + limit));
 * const sizes: number[] = [];
 * for await (const page of fetchPages(getPage, { pageSize: 1000, maxPages: 3, concurrency: 8 })) {
 *   sizes.push(page.length); // 1000, 1000, 500
 * }
 * ```
 */
export async function* fetchPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<T[]>,
  opts: FetchPagesOptions<T>,
): AsyncGenerator<T[]> {
  const inFlight: { offset: number; page: Promise<T[]> }[] = [];
  const seen = opts.key ? new Set<string>() : undefined;
  let issued = 0;
  let received = 0;
  const start = () => {
    const offset = issued++ * opts.pageSize;
    const page = fetchPage(offset, opts.pageSize);
    page.catch(() => {}); // observed when its turn comes; never an unhandled rejection
    inFlight.push({ offset, page });
  };
  /** Whether the page brings an item not seen before (always true without `key`). */
  const bringsNew = (page: T[]) => {
    if (!seen) return true;
    const key = opts.key!;
    // One hash operation per item: the set grows exactly when the key is new.
    const before = seen.size;
    for (let i = 0; i < page.length; i++) seen.add(key(page[i]));
    return seen.size !== before;
  };
  const first = Math.max(1, Math.min(opts.concurrency, opts.maxPages));
  for (let i = 0; i < first; i++) start();
  let stopped = false;
  try {
    while (inFlight.length) {
      const next = inFlight.shift()!;
      const page = await next.page;
      if (stopped) {
        if (page.length && bringsNew(page)) yield page;
        continue;
      }
      if (page.length && !bringsNew(page)) {
        stopped = true;
        opts.onRepeat?.(next.offset);
        continue;
      }
      if (page.length < opts.pageSize) stopped = true;
      received += page.length;
      // The next offset is requested as soon as this page has arrived, before the consumer works
      // on it (at most `concurrency` pages are ever in flight or waiting), unless what arrived
      // already covers the consumer's budget: then only if it asks for more.
      const early = !stopped && issued < opts.maxPages && (opts.wants?.(received) ?? true);
      if (early) start();
      if (page.length) yield page;
      if (!early && !stopped && issued < opts.maxPages) start();
      if (!stopped && !inFlight.length) {
        const error = opts.onCap?.();
        if (error) throw error;
      }
    }
  } finally {
    // Consumer stopped early: nothing new starts; let what is in flight finish quietly.
    await Promise.allSettled(inFlight.map((f) => f.page));
  }
}

/** Server-side filters of the listing, sent in this order. */
export interface ListFilters {
  /** One status, full word (`EXECUTING`). */
  status?: string;
  /** `instance` or `image_import`. */
  kind?: string;
  /** Lower time bound, ISO-8601 UTC (`...Z`). */
  since?: string;
  /** Upper time bound, ISO-8601 UTC (`...Z`). */
  until?: string;
}

/** Options of {@link listOperations}. */
export interface ListOptions {
  /** Record budget; one extra record is fetched to tell whether more exist. */
  limit?: number;
  /** Page requests in flight (default 8). */
  concurrency?: number;
  /** Aborts the listing's requests with `Interrupted`. */
  signal?: AbortSignal;
}

/**
 * The WARNING logged when a listing ends because a page brought nothing new: names the request.
 *
 * @example
 * ```ts
 * repeatWarning("/v1/operations", [["status", "PENDING"], ["limit", "100"], ["offset", "100"]]);
 * // "GET /v1/operations?status=PENDING&limit=100&offset=100 returned only operations already
 * //  listed (the server seems to ignore offset); listing stopped there"
 * ```
 */
export function repeatWarning(path: string, query: [string, string][]): string {
  return `GET ${path}?${new URLSearchParams(
    query,
  )} returned only operations already listed (the server seems to ignore offset); listing stopped there`;
}

/**
 * Lists operations page by page, as `ps` does: `GET /v1/operations` with `status`, `kind`,
 * `since`, `until`, `offset`, `limit`, through {@link fetchPages}. Yields each page's items.
 *
 * @example
 * ```ts
 * import { createClient } from "./client.ts";
 * const fetch = () => Promise.resolve(Response.json([{ uuid: "u1" }, { uuid: "u2" }]));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const uuids: string[] = [];
 * for await (const page of listOperations(client, { status: "FAILED" }, { limit: 50 })) {
 *   for (const op of page) uuids.push(op.uuid); // "u1", "u2"
 * }
 * ```
 */
export function listOperations(
  client: Client,
  filters: ListFilters = {},
  opts: ListOptions = {},
): AsyncGenerator<Operation[]> {
  const base: [string, string][] = [];
  for (const key of ["status", "kind", "since", "until"] as const) {
    if (filters[key]) base.push([key, filters[key]!]);
  }
  const queryAt = (offset: number, limit: number): [string, string][] => [
    ...base,
    ["offset", String(offset)],
    ["limit", String(limit)],
  ];
  const budget = pagePlan(opts.limit);
  // A budget beyond the page cap is cut there, with an error once the cap is reached.
  const plan = { ...budget, maxPages: Math.min(budget.maxPages, MAX_PAGES) };
  return fetchPages(async (offset, limit) => {
    const body = await client.getJson("/v1/operations", queryAt(offset, limit), {
      exact: true,
      signal: opts.signal,
    });
    return pageItems(body);
  }, {
    ...plan,
    concurrency: opts.concurrency ?? 8,
    // `limit + 1` records tell whether more exist: beyond them the consumer stops.
    wants: opts.limit === undefined ? undefined : (received) => received <= opts.limit!,
    key: (op) => op.uuid,
    onRepeat: (offset) =>
      log.warning(repeatWarning("/v1/operations", queryAt(offset, plan.pageSize))),
    onCap: () =>
      budget.maxPages > MAX_PAGES
        ? new ResponseError(
          `Listing stopped at ${MAX_PAGES} pages (GET /v1/operations?${new URLSearchParams(
            queryAt((MAX_PAGES - 1) * plan.pageSize, plan.pageSize),
          )} was still full); narrow it with --status/--kind/--since/--until`,
        )
        : undefined,
  });
}
