// The concurrent paged fetcher behind `ps`/`op list` (spec §1.5(a), decisions.md §25), and GETs
// that keep the server's numbers exact (big integers, `5.0`) for faithful output.
import { parseJson } from "../output/pyjson.ts";
import type { Client } from "./client.ts";
import { ResponseError } from "./errors.ts";
import { checkOperation, type Operation, pageItems } from "./operations.ts";

/** The fetcher's default page size. */
export const PAGE_SIZE = 1000;

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
  if (limit === undefined) return { pageSize, maxPages: 1000 };
  const size = Math.min(pageSize, limit + 1);
  return { pageSize: size, maxPages: Math.floor((limit + size) / size) + 1 };
}

/** Options of {@link fetchPages}. */
export interface FetchPagesOptions {
  /** Records requested per page (`limit`). */
  pageSize: number;
  /** Most pages to request before giving up (a safety cap). */
  maxPages: number;
  /** Page requests in flight at once. */
  concurrency: number;
}

/**
 * Fetches pages `offset = i × pageSize` concurrently and yields them strictly in offset order.
 * Up to `concurrency` requests run at once; each consumed full page starts one more, until
 * `maxPages`. The first empty or short page stops it: queued offsets are never requested,
 * requests in flight are drained (non-empty pages still yielded). Breaking out of the loop
 * stops it too. A failed page request rejects the iteration.
 *
 * @example
 * ```ts
 * for await (const page of fetchPages((offset, limit) => getPage(offset, limit), {
 *   pageSize: 1000, maxPages: 3, concurrency: 8,
 * })) console.log(page.length);
 * ```
 */
export async function* fetchPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<T[]>,
  opts: FetchPagesOptions,
): AsyncGenerator<T[]> {
  const inFlight: Promise<T[]>[] = [];
  let issued = 0;
  const start = () => {
    const p = fetchPage(issued++ * opts.pageSize, opts.pageSize);
    p.catch(() => {}); // observed when its turn comes; never an unhandled rejection
    inFlight.push(p);
  };
  const first = Math.max(1, Math.min(opts.concurrency, opts.maxPages));
  for (let i = 0; i < first; i++) start();
  let stopped = false;
  try {
    while (inFlight.length) {
      const page = await inFlight.shift()!;
      if (stopped) {
        if (page.length) yield page;
        continue;
      }
      if (page.length < opts.pageSize) stopped = true;
      if (page.length) yield page;
      // The next offset starts once the consumer has taken this page and wants more.
      if (!stopped && issued < opts.maxPages) start();
    }
  } finally {
    // Consumer stopped early: nothing new starts; let what is in flight finish quietly.
    await Promise.allSettled(inFlight);
  }
}

/** GET a path and parse its JSON exactly; a non-JSON body is a {@link ResponseError}. */
export async function getJsonExact(
  client: Client,
  path: string,
  query?: [string, string][],
): Promise<unknown> {
  const { text } = await client.request("GET", path, query);
  try {
    return parseJson(text);
  } catch {
    const qs = query?.length ? `?${new URLSearchParams(query)}` : "";
    const sample = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new ResponseError(
      `Malformed response from GET ${path}${qs}: not JSON: ${JSON.stringify(sample)}`,
    );
  }
}

/**
 * `GET /v1/operations/{uuid}` with exact numbers; the body must be an operation object.
 *
 * @example
 * ```ts
 * const op = await fetchOperation(client, "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f");
 * op.status; // "SUCCESS"
 * ```
 */
export async function fetchOperation(client: Client, uuid: string): Promise<Operation> {
  const path = `/v1/operations/${uuid}`;
  const body = await getJsonExact(client, path);
  checkOperation(body, path);
  return body;
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
}

/**
 * Lists operations page by page, as `ps` does: `GET /v1/operations` with `status`, `kind`,
 * `since`, `until`, `offset`, `limit`, through {@link fetchPages}. Yields each page's items.
 *
 * @example
 * ```ts
 * for await (const page of listOperations(client, { status: "FAILED" }, { limit: 50 })) {
 *   for (const op of page) console.log(op.uuid);
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
  return fetchPages(async (offset, limit) => {
    const query: [string, string][] = [...base, ["offset", String(offset)], [
      "limit",
      String(limit),
    ]];
    return pageItems(await getJsonExact(client, "/v1/operations", query));
  }, { ...pagePlan(opts.limit), concurrency: opts.concurrency ?? 8 });
}
