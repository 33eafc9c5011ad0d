import assert from "node:assert/strict";
import type { Client } from "../api/client.ts";
import { createWebhookApp } from "./app.ts";
import { memoryStore, renderRecord } from "./dedupe/index.ts";
import { parseSecrets, signStandardWebhook } from "./verify/index.ts";

const SECRET = "whsec_" + btoa("unit-test-secret-0000000");

/** A client whose DELETEs take `ms` each and always succeed. */
function slowClient(ms: number, seen: string[]): Client {
  return {
    request: async (_method, path) => {
      seen.push(path);
      await new Promise((r) => setTimeout(r, ms));
      return { status: 202, text: "" };
    },
    getJson: () => Promise.resolve([]),
  };
}

async function signed(body: string, id: string): Promise<RequestInit> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": await signStandardWebhook(SECRET, id, ts, body),
    },
  };
}

Deno.test("drain: past the grace period nothing new starts; the rest is kept as retrying", async () => {
  const seen: string[] = [];
  const store = memoryStore();
  const webhook = await createWebhookApp({
    client: slowClient(100, seen),
    secrets: await parseSecrets(SECRET),
    store,
    deadlineMs: 10,
    concurrency: 1,
    ratePerSecond: 0,
  });
  const uuids = Array.from({ length: 5 }, () => crypto.randomUUID());
  const res = await webhook.app.request(
    "/v1/cancel",
    await signed(JSON.stringify({ uuids }), "m1"),
  );
  assert.equal(res.status, 202);
  await res.body?.cancel();
  assert.equal(webhook.running(), 1);
  assert.equal(await webhook.drain(150), false);
  // Never stored as a final answer: kept as `retrying`, its claim released for the next start.
  const stored = store.get("m1")!;
  assert.equal(stored.state, "retrying");
  assert.equal(stored.leaseUntil, 0);
  assert.equal(stored.codes[0], "c");
  assert.equal(stored.codes.slice(2), "ppp");
  assert.equal(seen.length, 2, "no DELETE started after the grace period");
  const body = JSON.parse(renderRecord(stored).body);
  assert.deepEqual(body.not_attempted.slice(-3), uuids.slice(2));
  // While stopping, new deliveries get 503 and health says so.
  const late = await webhook.app.request(
    "/v1/cancel",
    await signed(JSON.stringify({ uuids }), "m2"),
  );
  assert.equal(late.status, 503);
  assert.equal((await webhook.app.request("/healthz")).status, 503);
});

Deno.test("unknown routes and wrong methods answer JSON", async () => {
  const webhook = await createWebhookApp({
    client: slowClient(0, []),
    secrets: await parseSecrets(SECRET),
    store: memoryStore(),
    deadlineMs: 1000,
  });
  const nf = await webhook.app.request("/nope");
  assert.equal(nf.status, 404);
  assert.equal((await nf.json()).error, "not_found");
  const get = await webhook.app.request("/v1/cancel");
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  await get.body?.cancel();
});
