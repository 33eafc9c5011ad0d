import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  type DeliveryStore,
  memoryStore,
  renderRecord,
  sqliteStore,
  StateFileError,
  StoreBusyError,
} from "./index.ts";
import { deliveryRecord as record } from "./fixtures.ts"; // made at 0, leased until 1000

function claims(store: DeliveryStore) {
  // Unknown: created and claimed.
  const first = store.claim(record("d1"), 0);
  assert.equal(first.claimed, true);
  // Another owner while the lease is live: refused, and told the current record.
  const other = store.claim(record("d1", { owner: "you", codes: "c" }), 500);
  assert.equal(other.claimed, false);
  assert.equal(other.record.owner, "me");
  assert.equal(other.record.codes, "p", "the other's fresh record was not written");
  // After the lease expired: taken over, with the stored progress.
  store.save({ ...first.record, codes: "r", state: "open", leaseUntil: 0 });
  const later = store.claim(record("d1", { owner: "you", leaseUntil: 5000 }), 2000);
  assert.equal(later.claimed, true);
  assert.equal(later.record.owner, "you");
  assert.equal(later.record.codes, "r");
  // Final: nobody claims it again.
  store.save({ ...later.record, state: "final", codes: "c" });
  assert.equal(store.claim(record("d1", { owner: "you" }), 9999).claimed, false);
  assert.equal(store.get("d1")?.state, "final");
  // Resume: only `retrying` records whose lease expired.
  store.claim(record("d2", { state: "retrying", leaseUntil: 100 }), 0);
  store.claim(record("d3", { state: "retrying", leaseUntil: 10_000 }), 0);
  assert.deepEqual(store.resumable(200), ["d2"]);
  assert.equal(store.takeOver("d2", "new", 900, 200)?.owner, "new");
  assert.equal(store.takeOver("d3", "new", 900, 200), undefined);
}

Deno.test("memory store: atomic claims, lease expiry, resume", () => claims(memoryStore()));

Deno.test("sqlite store: atomic claims, lease expiry, resume", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const store = sqliteStore(`${dir}/s.db`, { now: () => 0 });
    try {
      claims(store);
    } finally {
      store.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("memory store: bounded by count, bytes and age; unfinished records are kept", () => {
  let t = 0;
  const store = memoryStore({ maxEntries: 2, retentionMs: 100, now: () => t });
  store.claim(record("a", { state: "final" }), 0);
  store.claim(record("b", { state: "final" }), 0);
  store.claim(record("c", { state: "final" }), 0);
  assert.equal(store.get("a"), undefined);
  assert.equal(store.get("b")?.state, "final");
  assert.equal(store.size(), 2);
  t = 150;
  assert.equal(store.get("c"), undefined, "expired");
  const uuids = Array.from({ length: 1000 }, () => crypto.randomUUID());
  const big = record("big", { uuids, codes: "c".repeat(1000), state: "final" });
  const bytes = JSON.stringify(big).length;
  assert.ok(bytes < 45_000, `a delivery of 1,000 UUIDs takes ${bytes} bytes`);
  const small = memoryStore({ maxBytes: bytes * 2 + 100 });
  small.claim(record("open", { uuids, codes: "p".repeat(1000) }), 0);
  for (const id of ["x", "y", "z"]) small.claim({ ...big, id }, 0);
  assert.ok(small.bytes() <= bytes * 2 + 100, `${small.bytes()} bytes`);
  assert.equal(small.get("x"), undefined, "the oldest final record went first");
  assert.equal(small.get("z")?.state, "final");
  assert.equal(small.get("open")?.state, "running", "an unfinished record is never evicted");
});

Deno.test("sqlite store: survives reopening, bounded by bytes, prunes old entries", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let t = 1000;
    const path = `${dir}/state.db`;
    const uuids = Array.from({ length: 300 }, () => crypto.randomUUID());
    const one = JSON.stringify(record("x", { uuids, codes: "n".repeat(300) })).length;
    const first = sqliteStore(path, { now: () => t, retentionMs: 5000, maxBytes: one * 2 + 50 });
    for (const id of ["m1", "m2", "m3"]) {
      const { record: r } = first.claim(record(id, { uuids, codes: "p".repeat(300) }), t);
      first.save({ ...r, state: "final", codes: "n".repeat(300), updatedAt: t++ });
    }
    assert.ok(first.bytes() <= one * 2 + 50, `${first.bytes()} bytes`);
    assert.equal(first.get("m1"), undefined);
    first.close();
    const second = sqliteStore(path, { now: () => t, retentionMs: 5000 });
    assert.equal(second.get("m3")?.codes, "n".repeat(300));
    second.close();
    t = 100_000;
    const third = sqliteStore(path, { now: () => t, retentionMs: 5000 });
    assert.equal(third.get("m3"), undefined);
    assert.equal(third.size(), 0, "pruned when opened");
    third.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sqlite store: a locked file queues writes (get sees them) and refuses claims", () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/state.db`;
  const store = sqliteStore(path);
  const locker = new DatabaseSync(path);
  try {
    const { record: r } = store.claim(record("q", { updatedAt: Date.now() }), 0);
    locker.exec("BEGIN IMMEDIATE");
    store.save({ ...r, state: "final", codes: "c" });
    assert.equal(store.pendingWrites(), 1);
    assert.equal(store.get("q")?.state, "final", "the queued write is visible");
    assert.throws(() => store.claim(record("other", { updatedAt: Date.now() }), 0), StoreBusyError);
    locker.exec("ROLLBACK");
    assert.equal(store.flush(), 0);
    const reopened = sqliteStore(path);
    assert.equal(reopened.get("q")?.state, "final");
    reopened.close();
  } finally {
    locker.close();
    store.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sqlite store: refuses a file with other tables", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const db = new DatabaseSync(`${dir}/session.db`);
    db.exec("CREATE TABLE session_history (x TEXT)");
    db.close();
    assert.throws(() => sqliteStore(`${dir}/session.db`), StateFileError);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("renderRecord: 200 final, 202 in progress, 503 with Retry-After when open", () => {
  const uuids = ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f", "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda80"];
  const base = record("r", { uuids, codes: "cr", errors: { [uuids[1]]: "API 502 Bad Gateway" } });
  const open = renderRecord({ ...base, state: "open" });
  assert.equal(open.status, 503);
  assert.equal(open.headers["Retry-After"], "5");
  const body = JSON.parse(open.body);
  assert.equal(body.status, "incomplete");
  assert.deepEqual(body.outcomes[1], {
    uuid: uuids[1],
    status: "failed",
    error: "API 502 Bad Gateway",
    retryable: true,
  });
  assert.equal(renderRecord({ ...base, state: "retrying" }).status, 202);
  assert.equal(JSON.parse(renderRecord({ ...base, state: "retrying" }).body).status, "retrying");
  assert.equal(renderRecord({ ...base, state: "retrying" }, true).status, 503);
  const final = renderRecord({ ...base, state: "final", codes: "cf" });
  assert.equal(final.status, 200);
  assert.equal(JSON.parse(final.body).status, "done");
});
