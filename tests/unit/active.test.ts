// Unit tests of the active listing behind `kill --all`, `op wait --all` and `{"all": true}`.
import assert from "node:assert/strict";
import { createClient } from "../../lib/api/client.ts";
import { listActiveOperations, listActiveUuids } from "../../lib/ops/active.ts";

const uuid = (i: number) => `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`;

/** A client whose API lists `byStatus[status]` (one page each) and records every query. */
function listing(byStatus: Record<string, string[]>) {
  const queries: string[] = [];
  const fetch = (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    queries.push(url.search.slice(1));
    const status = url.searchParams.get("status") ?? "";
    return Promise.resolve(Response.json((byStatus[status] ?? []).map((u) => ({ uuid: u }))));
  };
  const client = createClient({ url: "http://127.0.0.1:9", auth: "jwt", token: "t", fetch });
  return { client, queries };
}

Deno.test("listActiveUuids: status order, server order, each operation once across statuses", async () => {
  const { client } = listing({
    PENDING: [uuid(3), uuid(1)],
    ASSIGNED: [uuid(1), uuid(4)], // 1 moved from PENDING to ASSIGNED while listed
    EXECUTING: [uuid(5), uuid(4), uuid(3)],
  });
  assert.deepEqual(await listActiveUuids(client), [uuid(3), uuid(1), uuid(4), uuid(5)]);
});

Deno.test("listActiveUuids: the kind filter is on every status's request", async () => {
  const { client, queries } = listing({ EXECUTING: [uuid(1)] });
  assert.deepEqual(await listActiveUuids(client, { kind: "image_import" }), [uuid(1)]);
  assert.deepEqual(queries.sort(), [
    "status=ASSIGNED&kind=image_import&limit=100&offset=0",
    "status=EXECUTING&kind=image_import&limit=100&offset=0",
    "status=PENDING&kind=image_import&limit=100&offset=0",
  ]);
});

Deno.test("listActiveUuids: an operation on two pages of one status (the data shifted) is listed once", async () => {
  // PENDING: a full first page, then a page that repeats its last item and brings one new one.
  const first = Array.from({ length: 100 }, (_, i) => uuid(i));
  const fetch = (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const page = url.searchParams.get("status") !== "PENDING"
      ? []
      : url.searchParams.get("offset") === "0"
      ? first
      : [uuid(99), uuid(500)];
    return Promise.resolve(Response.json(page.map((u) => ({ uuid: u }))));
  };
  const shifted = createClient({ url: "http://127.0.0.1:9", auth: "jwt", token: "t", fetch });
  assert.deepEqual(await listActiveUuids(shifted), [...first, uuid(500)]);
});

Deno.test("listActiveOperations: an operation listed under two statuses in two spellings is listed once, as first listed", async () => {
  // The same operation as `listActiveUuids` counts it: `kill --dry-run` shows what is cancelled.
  const upper = uuid(7).toUpperCase();
  const { client } = listing({ PENDING: [upper, uuid(2)], EXECUTING: [uuid(7), uuid(3)] });
  const ops = await listActiveOperations(client);
  assert.deepEqual(ops.map((op) => op.uuid), [upper, uuid(2), uuid(3)]);
  assert.deepEqual(await listActiveUuids(client), [uuid(7), uuid(2), uuid(3)]);
});
