import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { interpretAlerts, verifyGrafana } from "./index.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const A = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
const B = "019e3fb6-e447-760d-b7ab-62ef51f91b1f";
const alerts = (...list: unknown[]) => enc(JSON.stringify({ version: "4", alerts: list }));
const firing = (labels: Record<string, string>) => ({ status: "firing", labels });

Deno.test("alerts: labels of firing alerts say what to cancel", () => {
  const r = (raw: Uint8Array) => {
    const i = interpretAlerts(raw);
    return i.kind === "cancel" ? i.request : [i.status, i.body.error ?? i.body.status];
  };
  assert.deepEqual(
    r(alerts(firing({ contree_uuid: A }), firing({ contree_uuid: B.toUpperCase() }))),
    {
      uuids: [A, B],
    },
  );
  assert.deepEqual(r(alerts({ status: "resolved", labels: { contree_uuid: A } })), [
    202,
    "ignored",
  ]);
  assert.deepEqual(r(alerts(firing({ alertname: "x" }))), [202, "ignored"]);
  assert.deepEqual(r(alerts(firing({ contree_cancel: "all", contree_kind: "instance" }))), {
    all: true,
    kind: "instance",
  });
  assert.deepEqual(
    r(alerts(
      firing({ contree_cancel: "all", contree_kind: "instance" }),
      firing({ contree_cancel: "all", contree_kind: "image_import" }),
    )),
    { all: true },
  );
  assert.deepEqual(r(alerts(firing({ contree_uuid: "HEAD" }))), [400, "invalid_labels"]);
  assert.deepEqual(r(alerts(firing({ contree_cancel: "some" }))), [400, "invalid_labels"]);
  assert.deepEqual(r(enc('{"no": "alerts"}')), [400, "invalid_request"]);
  assert.deepEqual(r(enc("{")), [400, "invalid_json"]);
});

Deno.test("grafana: HMAC over the body, or over timestamp:body within 5 minutes", async () => {
  const secret = "grafana-secret-0123456789";
  const key = await crypto.subtle.importKey(
    "raw",
    enc(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const body = '{"alerts": []}';
  const mac = (data: string) => createHmac("sha256", secret).update(data).digest("hex");
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  const check = async (h: { signature?: string; timestamp?: string }, at = now) => {
    const v = await verifyGrafana([key], h, enc(body), at);
    return v.ok ? "ok" : v.code;
  };
  assert.equal(await check({ signature: mac(body) }), "ok");
  assert.equal(await check({ signature: mac(`${ts}:${body}`), timestamp: ts }), "ok");
  assert.equal(
    await check({ signature: mac(`${ts}:${body}`), timestamp: ts }, now + 301_000),
    "stale",
  );
  assert.equal(await check({ signature: mac(body), timestamp: ts }), "bad_signature");
  assert.equal(await check({ signature: "zz" }), "malformed_header");
  assert.equal(await check({}), "missing_header");
});
