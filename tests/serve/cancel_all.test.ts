// --serve `{"all": true}` end to end: the kind filter reaches the listing, an operation listed
// under two statuses is cancelled once, and every delivery together stays under the upstream
// bound (CONTREE_WEBHOOK_UPSTREAM).
import assert from "node:assert/strict";
import { type Emulator, startEmulator } from "../emulator/server.ts";
import { homeFor } from "../helpers.ts";
import { post, standardHeaders, startServe } from "./helpers.ts";

const FAST = { CONTREE_WEBHOOK_RATE: "0", CONTREE_RETRY_DELAYS: "0.01" };

type Outcome = { uuid: string; status: string };
const outcomesOf = (json: Record<string, unknown>) =>
  (json.outcomes as Outcome[]).map((o) => [o.uuid, o.status]);

/**
 * Posts `body` (an `{"all": true, …}` delivery) to a fresh `--serve` on `emu`, asserts the
 * delivery is done (200), and returns its outcomes as `[uuid, status]` pairs.
 */
async function deliverDone(emu: Emulator, body: string): Promise<string[][]> {
  const server = await startServe({ home: homeFor(emu), env: FAST });
  try {
    const r = await post(server.url, body, await standardHeaders(body));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, "done", r.text);
    return outcomesOf(r.json);
  } finally {
    await server.stop("SIGKILL");
  }
}

Deno.test('--serve: {"all": true, "kind": K} lists and cancels only operations of kind K', async () => {
  await using emu = await startEmulator();
  const imports = emu.seed(2, { status: "PENDING", kind: "image_import" }).map((o) => o.uuid);
  const instances = emu.seed(3, { status: "EXECUTING", kind: "instance" }).map((o) => o.uuid);
  const outcomes = await deliverDone(emu, JSON.stringify({ all: true, kind: "image_import" }));
  // Newest first within PENDING.
  assert.deepEqual(outcomes, [...imports].reverse().map((u) => [u, "cancelled"]));
  // Every listing request carried the filter; only the two imports got a DELETE.
  const lists = emu.seen("GET", "/v1/operations");
  assert.deepEqual(lists.map((q) => q.query.status).sort(), ["ASSIGNED", "EXECUTING", "PENDING"]);
  for (const q of lists) assert.equal(q.query.kind, "image_import", q.search);
  assert.deepEqual(
    emu.seen("DELETE").map((q) => q.path).sort(),
    imports.map((u) => `/v1/operations/${u}`).sort(),
  );
  assert.deepEqual(instances.map((u) => emu.ops.get(u)!.status), [
    "EXECUTING",
    "EXECUTING",
    "EXECUTING",
  ]);
});

Deno.test('--serve: {"all": true} cancels an operation listed under two statuses once, and is done', async () => {
  await using emu = await startEmulator();
  const p = emu.add({ status: "PENDING" }).uuid;
  const moving = emu.add({ status: "PENDING" }).uuid;
  const e = emu.add({ status: "EXECUTING" }).uuid;
  emu.alsoListAs(moving, "EXECUTING");
  assert.deepEqual(await deliverDone(emu, JSON.stringify({ all: true })), [
    [moving, "cancelled"],
    [p, "cancelled"],
    [e, "cancelled"],
  ]);
  assert.equal(emu.seen("DELETE", moving).length, 1);
  assert.equal(emu.seen("DELETE").length, 3);
});

Deno.test('--serve: {"all": true} with a UUID listed in upper case is done after one DELETE', async () => {
  // The outcome is filed under the canonical UUID the listing returns (a 503 "incomplete",
  // retried for ever, when the listing kept the server's spelling).
  await using emu = await startEmulator();
  const plain = emu.add({ status: "PENDING" }).uuid;
  const upper = emu.add({ status: "EXECUTING" }).uuid;
  // The API lists (and knows) it in upper case: the canonical DELETE is answered 404.
  const op = emu.ops.get(upper)!;
  emu.ops.delete(upper);
  emu.add({ ...op, uuid: upper.toUpperCase() });
  assert.deepEqual(await deliverDone(emu, JSON.stringify({ all: true })), [
    [plain, "cancelled"],
    [upper, "not_found"],
  ]);
  assert.equal(emu.seen("DELETE", upper).length, 1);
  assert.equal(emu.seen("DELETE").length, 2);
});

Deno.test("--serve: concurrent deliveries never have more upstream requests in flight than CONTREE_WEBHOOK_UPSTREAM", async () => {
  const emu = await startEmulator({ latencyMs: 40 });
  try {
    const server = await startServe({
      home: homeFor(emu),
      env: { ...FAST, CONTREE_WEBHOOK_UPSTREAM: "2", CONTREE_CONCURRENCY: "8" },
    });
    try {
      // Three deliveries at once, eight operations each: up to 24 DELETEs would be in flight
      // without the bound.
      const batches = [0, 1, 2].map(() => emu.seed(8).map((o) => o.uuid));
      const answers = await Promise.all(batches.map(async (uuids) => {
        const body = JSON.stringify({ uuids });
        return await post(server.url, body, await standardHeaders(body));
      }));
      for (const [i, r] of answers.entries()) {
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(outcomesOf(r.json), batches[i].map((u) => [u, "cancelled"]));
      }
      assert.equal(emu.seen("DELETE").length, 24);
      assert.equal(emu.maxInFlight, 2, `at most 2 in flight, saw ${emu.maxInFlight}`);
    } finally {
      await server.stop("SIGKILL");
    }
  } finally {
    await emu.close();
  }
});
