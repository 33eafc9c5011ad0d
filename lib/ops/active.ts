// The active listing behind `kill --all`, `op wait --all` and the server's `{"all": true}`.
import type { Client } from "../api/client.ts";
import { ACTIVE_PAGE_SIZE, ACTIVE_STATUSES, pageItems } from "../api/operations.ts";

/**
 * Lists the UUIDs of every active operation for `--all`: per status, `limit`/`offset` pages
 * until a short page. The three statuses are fetched concurrently; the result is in status
 * order (PENDING, ASSIGNED, EXECUTING, decisions.md §11), then server order, without
 * duplicates (an operation moving between statuses mid-listing is cancelled once).
 */
export async function listActiveUuids(
  client: Client,
  opts: { kind?: string; pageSize?: number } = {},
): Promise<string[]> {
  const pageSize = opts.pageSize ?? ACTIVE_PAGE_SIZE;
  const perStatus = await Promise.all(ACTIVE_STATUSES.map(async (status) => {
    const uuids: string[] = [];
    for (let offset = 0;;) {
      const query: [string, string][] = [["status", status]];
      if (opts.kind) query.push(["kind", opts.kind]);
      query.push(["limit", String(pageSize)], ["offset", String(offset)]);
      const page = pageItems(await client.getJson("/v1/operations", query));
      for (const op of page) uuids.push(op.uuid);
      if (page.length < pageSize) return uuids;
      offset += page.length;
    }
  }));
  return [...new Set(perStatus.flat())];
}
