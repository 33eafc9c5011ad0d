// The hand-off between the active listing and the bulk cancel: a list typed `DistinctUuids`
// (canonical, each operation once) lets `cancelOperations(…, { distinct: true })` skip its own
// duplicate check; nothing else can claim it.
import assert from "node:assert/strict";
import { createClient } from "../../lib/api/client.ts";
import { listActiveUuids } from "../../lib/ops/active.ts";
import { cancelOperations } from "../../lib/ops/cancel.ts";
import { type DistinctUuids, distinctUuids } from "../../lib/ops/distinct.ts";

const uuidAt = (i: number) => `019e3fb6-e2d8-7350-a8f9-${i.toString(16).padStart(12, "0")}`;

/** A stand-in API: lists `byStatus[status]` (one page each), 202 for every DELETE. */
function fakeApi(byStatus: Record<string, string[]> = {}) {
  const deleted: string[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (init?.method === "DELETE") {
      deleted.push(url.pathname.slice("/v1/operations/".length));
      return Promise.resolve(new Response(null, { status: 202 }));
    }
    const status = url.searchParams.get("status") ?? "";
    return Promise.resolve(Response.json((byStatus[status] ?? []).map((uuid) => ({ uuid }))));
  };
  const client = createClient({
    url: "http://127.0.0.1:9",
    auth: "jwt",
    token: "t",
    fetch,
    retryDelays: [],
  });
  return { client, deleted };
}

Deno.test("distinctUuids: canonical, each operation once whatever its spelling, repeats reported", () => {
  const a = uuidAt(1);
  const b = uuidAt(2);
  const repeats: string[] = [];
  const uuids = distinctUuids(
    [a.toUpperCase(), b, `{${a.replaceAll("-", "")}}`, "../x", b, "../x", a],
    (uuid) => repeats.push(uuid),
  );
  assert.deepEqual(uuids, [a, b, "../x"]);
  assert.deepEqual(repeats, [a, b, "../x", a]);
});

Deno.test("listActiveUuids: one operation listed in two spellings (two statuses) is listed once, canonical", async () => {
  const a = uuidAt(1);
  const { client } = fakeApi({
    PENDING: [a.toUpperCase(), uuidAt(2)],
    ASSIGNED: [a, "../x"],
    EXECUTING: [`{${a}}`, "../x"],
  });
  assert.deepEqual(await listActiveUuids(client), [a, uuidAt(2), "../x"]);
});

Deno.test("cancel: distinct: true sends each listed operation once and reports texts that are not UUIDs", async () => {
  const a = uuidAt(1);
  const { client, deleted } = fakeApi({
    PENDING: [a.toUpperCase(), uuidAt(2), "../x"],
    EXECUTING: [a, uuidAt(3)],
  });
  const uuids = await listActiveUuids(client);
  const report = await cancelOperations(client, uuids, { distinct: true, concurrency: 2 });
  assert.deepEqual(report.outcomes.map((o) => [o.uuid, o.status, o.invalid ?? false]), [
    [a, "cancelled", false],
    [uuidAt(2), "cancelled", false],
    ["../x", "failed", true],
    [uuidAt(3), "cancelled", false],
  ]);
  assert.deepEqual(deleted, [a, uuidAt(2), uuidAt(3)]);
});

Deno.test("cancel: a list that is not a DistinctUuids cannot skip the duplicate check", async () => {
  const a = uuidAt(1);
  const plain = [a, a.toUpperCase(), a];
  const { client, deleted } = fakeApi();
  // The type checker refuses the claim for a plain list, in a literal or in a variable (`deno
  // test` type-checks this file: if cancelOperations accepted it, the directives below would be
  // unused and this test would not compile).
  const claim = { distinct: true };
  const attempts = [
    // @ts-expect-error: a plain string[] is not a DistinctUuids
    () => cancelOperations(client, plain, { distinct: true }),
    // @ts-expect-error: the same claim through a variable
    () => cancelOperations(client, plain, claim),
  ];
  assert.equal(attempts.length, 2);
  // Without the claim, the plain list is checked: one DELETE.
  await cancelOperations(client, plain);
  assert.deepEqual(deleted, [a]);
  // A slice of a DistinctUuids is a plain list again (it could be given anything afterwards).
  const listed: DistinctUuids = distinctUuids([a, uuidAt(2)]);
  const part = listed.slice(0, 1);
  // @ts-expect-error: a slice has lost the type
  (() => cancelOperations(client, part, { distinct: true }));
  // @ts-expect-error: read-only, so nothing can be added to a DistinctUuids after the check
  (() => listed.push(a));
});
