// Keeping `--state` within its bounds costs work in proportion to the deliveries written, never
// to the size of the file (issue 12: no cost that grows faster than the work). Before, a store
// at its byte bound re-counted the whole table (and deleted by an unindexed time) again and again,
// a pause of 50-250 ms at 100,000 records under load; and the count bound held only when the
// byte bound was crossed.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type DeliveryStore, memoryStore, sqliteStore } from "../../lib/serve/dedupe/index.ts";
import { deliveryRecord, freshRecord as fresh } from "../../lib/serve/dedupe/fixtures.ts";
import { DELIVERY_STATES } from "../../lib/serve/dedupe/record.ts";
import { SCHEMA, STATEMENTS } from "../../lib/serve/dedupe/sql.ts";
import { tempDir } from "../helpers.ts";

/** Claims `id` and saves it final, as the server does for a delivery that is done. */
function deliver(store: DeliveryStore, id: string): void {
  const { record } = store.claim(fresh(id), Date.now());
  store.save({ ...record, state: "final", codes: "c", updatedAt: Date.now() });
}

/** Rows and bytes of the file, counted by another connection. */
function counted(path: string): { n: number; b: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare(
      "SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM webhook_deliveries",
    ).get() as { n: number; b: number };
    return { n: Number(row.n), b: Number(row.b) };
  } finally {
    db.close();
  }
}

Deno.test(
  "sqlite store: the count bound holds as deliveries arrive, not only past the byte bound",
  async () => {
    using dir = tempDir("contree-store-prune-");
    const path = `${dir.path}/state.db`;
    const store = sqliteStore(path, { maxEntries: 50 });
    try {
      for (let i = 0; i < 300; i++) {
        deliver(store, `msg_${i}`);
        await Promise.resolve(); // the turn ends: its saves are committed
        assert.ok(counted(path).n <= 50, `${counted(path).n} records after ${i + 1} deliveries`);
      }
      assert.equal(store.get("msg_299")?.state, "final", "the newest is kept");
      assert.equal(store.get("msg_0"), undefined, "the oldest went first");
    } finally {
      store.close();
    }
  },
);

Deno.test("memory store: the count bound holds as deliveries arrive", () => {
  const store = memoryStore({ maxEntries: 50 });
  for (let i = 0; i < 300; i++) {
    deliver(store, `msg_${i}`);
    assert.ok(store.size() <= 50, `${store.size()} records after ${i + 1} deliveries`);
  }
  assert.equal(store.get("msg_299")?.state, "final");
});

Deno.test("state file: no statement of the store reads the whole table", () => {
  const db = new DatabaseSync(":memory:");
  try {
    for (const ddl of SCHEMA) db.exec(ddl);
    for (const [name, sql] of Object.entries(STATEMENTS)) {
      if (name === "tables") continue; // sqlite_master, not the deliveries
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => String(r.detail));
      const scans = plan.filter((d) => /^SCAN webhook_deliveries\b/.test(d));
      assert.deepEqual(scans, [], `${name} scans the table: ${plan.join("; ")}`);
    }
  } finally {
    db.close();
  }
});

Deno.test(
  "sqlite store: size and bytes stay exact with two processes writing one file",
  async () => {
    using dir = tempDir("contree-store-prune-");
    const path = `${dir.path}/state.db`;
    const a = sqliteStore(path);
    const b = sqliteStore(path);
    try {
      for (let i = 0; i < 20; i++) deliver(i % 2 ? a : b, `msg_${i}`);
      // Not final: kept, and counted.
      a.claim(fresh("open_a"), Date.now());
      const { record } = b.claim(fresh("open_b"), Date.now());
      // A bigger record replaces a smaller one.
      b.save({ ...record, codes: "p".repeat(500), errors: { x: "e".repeat(300) } });
      await Promise.resolve();
      for (const store of [a, b]) {
        assert.deepEqual({ n: store.size(), b: store.bytes() }, counted(path));
      }
      assert.equal(a.size(), 22);
    } finally {
      a.close();
      b.close();
    }
  },
);

Deno.test(
  "sqlite store: a state file written before the running totals opens with the right ones",
  () => {
    using dir = tempDir("contree-store-prune-");
    const path = `${dir.path}/state.db`;
    // The layout of earlier versions: the table and its index, nothing else.
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY, state TEXT NOT NULL, owner TEXT NOT NULL,
      lease_until INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      bytes INTEGER NOT NULL, data TEXT NOT NULL)`);
    old.exec("CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, updated_at)");
    const insert = old.prepare("INSERT INTO webhook_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    const now = Date.now();
    for (let i = 0; i < 30; i++) {
      const text = JSON.stringify({ ...fresh(`old_${i}`), state: "final" });
      insert.run(`old_${i}`, "final", "me", now, now, now + i, text.length, text);
    }
    old.close();
    const store = sqliteStore(path);
    try {
      assert.deepEqual({ n: store.size(), b: store.bytes() }, counted(path));
      assert.equal(store.size(), 30);
      deliver(store, "new");
      assert.deepEqual({ n: store.size(), b: store.bytes() }, counted(path));
    } finally {
      store.close();
    }
  },
);

Deno.test(
  "sqlite store: past the retention, records of every state are deleted when the file opens",
  () => {
    using dir = tempDir("contree-store-prune-");
    const path = `${dir.path}/state.db`;
    let t = 1000;
    const first = sqliteStore(path, { now: () => t, retentionMs: 5000 });
    for (const state of DELIVERY_STATES) {
      first.claim(deliveryRecord(state, { state }, { now: t }), t);
    }
    first.close();
    t = 100_000;
    const later = sqliteStore(path, { now: () => t, retentionMs: 5000 });
    try {
      assert.deepEqual(counted(path), { n: 0, b: 0 });
      assert.equal(later.size(), 0);
    } finally {
      later.close();
    }
  },
);

Deno.test("memory store: past the count bound with unfinished records, finals go oldest first", () => {
  const store = memoryStore({ maxEntries: 10 });
  for (let i = 0; i < 20; i++) store.claim(fresh(`open_${i}`), Date.now());
  for (let i = 0; i < 5; i++) deliver(store, `done_${i}`);
  // Unfinished records are never evicted; each final one is the only one left to go.
  assert.equal(store.size(), 20);
  assert.equal(store.get("open_0")?.state, "running");
  assert.equal(store.get("done_3"), undefined);
  // One finished now: it is kept while the store is over its bound only if nothing older is final.
  const { record } = store.claim(fresh("open_19"), Date.now());
  store.save({ ...record, state: "final", codes: "c" });
  assert.equal(store.size(), 19, "the newly final record goes, as the oldest final one");
  assert.equal(store.resumable(Number.MAX_SAFE_INTEGER).length, 0, "none retrying");
});
