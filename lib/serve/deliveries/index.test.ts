import assert from "node:assert/strict";
import type { Client } from "../../api/client.ts";
import { memoryStore } from "../dedupe/index.ts";
import { Metrics } from "../metrics/index.ts";
import { auditRecord, createDeliveries, outcomeCode } from "./index.ts";

/** A client whose DELETEs take `ms` each and answer `status`. */
function fakeClient(ms: number, status: number, seen: string[]): Client {
  return {
    request: async (_method, path) => {
      seen.push(path);
      if (ms) await new Promise((r) => setTimeout(r, ms));
      return { status, text: "" };
    },
    getJson: () => Promise.resolve([]),
  };
}

Deno.test("outcomeCode: final statuses, a 4xx that retrying cannot fix, retryable failures", () => {
  assert.equal(outcomeCode({ uuid: "u", status: "not_found" }), "n");
  assert.equal(outcomeCode({ uuid: "u", status: "already_finished" }), "a");
  assert.equal(outcomeCode({ uuid: "u", status: "failed", invalid: true }), "f");
  assert.equal(outcomeCode({ uuid: "u", status: "failed", httpStatus: 403 }), "f");
  assert.equal(outcomeCode({ uuid: "u", status: "failed", error: "API 400 Bad" }), "f");
  for (const s of [408, 425, 429, 500, 503]) {
    assert.equal(outcomeCode({ uuid: "u", status: "failed", httpStatus: s }), "r");
  }
  assert.equal(outcomeCode({ uuid: "u", status: "failed", network: true, httpStatus: 404 }), "r");
  assert.equal(outcomeCode({ uuid: "u", status: "failed" }), "r");
});

Deno.test("deliveries: a final run is audited once; a replay is answered from the store; another body is refused", async () => {
  const seen: string[] = [];
  const audits: Record<string, unknown>[] = [];
  const deliveries = createDeliveries({
    client: fakeClient(0, 202, seen),
    store: memoryStore(),
    metrics: new Metrics(),
    auditLog: (f) => audits.push(f),
  });
  const uuids = [crypto.randomUUID(), crypto.randomUUID()];
  const d = { id: "d1", hash: "h1", request: { uuids }, deadlineMs: 5000, acceptNow: false };
  const first = await deliveries.run(d);
  assert.ok("record" in first);
  assert.equal(first.record.state, "final");
  assert.equal(first.rendered.status, 200);
  assert.equal(first.replay, false);
  assert.equal(seen.length, 2);
  assert.equal(audits.length, 1);
  assert.deepEqual(audits[0].cancelled, uuids);
  const again = await deliveries.run(d);
  assert.ok("record" in again && again.replay);
  assert.equal(seen.length, 2, "a replay of a final delivery sends nothing");
  const other = await deliveries.run({ ...d, hash: "h2" });
  assert.ok("refused" in other);
  assert.equal(other.refused.status, 409);
  assert.equal(other.refused.error, "id_reused");
  assert.equal(await deliveries.drain(1000), true);
  // Draining: new deliveries are refused with a 503.
  const late = await deliveries.run({ ...d, id: "d2" });
  assert.ok("refused" in late && late.refused.error === "shutting_down");
});

Deno.test("deliveries: past the deadline the run is accepted and finished in the background", async () => {
  const deliveries = createDeliveries({
    client: fakeClient(50, 202, []),
    store: memoryStore(),
    metrics: new Metrics(),
    concurrency: 1,
  });
  const finals: string[] = [];
  const run = await deliveries.run({
    id: "slow",
    hash: "h",
    request: { uuids: [crypto.randomUUID(), crypto.randomUUID()] },
    deadlineMs: 1,
    acceptNow: false,
  });
  assert.ok("record" in run);
  assert.equal(run.deadlineExceeded, true);
  assert.equal(run.rendered.status, 202);
  assert.equal(deliveries.running(), 1);
  deliveries.onFinal("slow", (r) => finals.push(r.state));
  assert.equal(await deliveries.drain(5000), true);
  assert.equal(deliveries.running(), 0);
  assert.deepEqual(finals, ["final"]);
});

Deno.test("auditRecord: names the request, the cancelled UUIDs and every other outcome", () => {
  const record = auditRecord({
    id: "x",
    hash: "h",
    state: "final",
    sender: "github",
    uuids: ["a", "b", "c", "d"],
    codes: "cnfp",
    errors: { c: "API 403 Forbidden" },
    accepted: false,
    owner: "o",
    leaseUntil: 0,
    createdAt: 0,
    updatedAt: 0,
  }, 0);
  assert.deepEqual(record, {
    time: "1970-01-01T00:00:00.000Z",
    event: "audit",
    delivery: "x",
    sender: "github",
    request: "uuids",
    status: "done",
    cancelled: ["a"],
    outcomes: [
      { uuid: "b", status: "not_found" },
      { uuid: "c", status: "failed", error: "API 403 Forbidden" },
      { uuid: "d", status: "not_attempted" },
    ],
  });
});
