import assert from "node:assert/strict";
import { memoryStore, sqliteStore } from "./index.ts";

Deno.test("memory store: get/put, bounded by count (oldest first) and age", () => {
  let t = 0;
  const store = memoryStore({ maxEntries: 2, retentionMs: 100, now: () => t });
  store.put("a", { status: 200, body: "A" });
  store.put("b", { status: 202, body: "B" });
  store.put("c", { status: 200, body: "C" });
  assert.equal(store.get("a"), undefined);
  assert.deepEqual(store.get("b"), { status: 202, body: "B" });
  assert.equal(store.size(), 2);
  t = 150;
  assert.equal(store.get("c"), undefined, "expired");
  store.put("d", { status: 200, body: "D" });
  assert.equal(store.size(), 1, "expired entries pruned on put");
});

Deno.test("sqlite store: survives reopening, prunes old entries", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let t = 1000;
    const path = `${dir}/state.db`;
    const first = sqliteStore(path, { now: () => t, retentionMs: 500 });
    first.put("msg_1", { status: 200, body: '{"x":1}' });
    first.put("msg_1", { status: 200, body: '{"x":2}' });
    assert.equal(first.size(), 1);
    first.close();
    const second = sqliteStore(path, { now: () => t, retentionMs: 500 });
    assert.deepEqual(second.get("msg_1"), { status: 200, body: '{"x":2}' });
    assert.equal(second.get("msg_2"), undefined);
    second.close();
    t = 2000;
    const third = sqliteStore(path, { now: () => t, retentionMs: 500 });
    assert.equal(third.get("msg_1"), undefined);
    assert.equal(third.size(), 0, "pruned when opened");
    third.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
