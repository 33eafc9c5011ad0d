import assert from "node:assert/strict";
import { Hono } from "../../deps/hono.ts";
import type { ServeEnv } from "../types.ts";
import { parseSecrets, signStandardWebhook } from "../verify/index.ts";
import { detectSender, senderOf, verifySender } from "./index.ts";

const SECRET = "whsec_" + btoa("unit-test-secret-0000000");

Deno.test("senderOf: Standard Webhooks headers win over the others", () => {
  assert.equal(senderOf(new Headers({ "webhook-id": "1", "x-github-event": "ping" })), "standard");
  assert.equal(senderOf(new Headers({ "x-slack-signature": "v0=1" })), "slack");
  assert.equal(senderOf(new Headers({ "x-grafana-alerting-signature": "1" })), "grafana");
  assert.equal(senderOf(new Headers({ authorization: "Bearer t" })), "alertmanager");
  assert.equal(senderOf(new Headers({ authorization: "Basic t" })), undefined);
});

Deno.test("detectSender + verifySender: 415 for a wrong type, 401 unsigned, the delivery when signed", async () => {
  const app = new Hono<ServeEnv>();
  app.use("*", async (c, next) => {
    c.set("logFields", {});
    await next();
  });
  app.post(
    "/",
    detectSender(),
    verifySender({ secrets: await parseSecrets(SECRET) }),
    (c) => c.json(c.get("delivery")),
  );
  const slackAsJson = await app.request("/", {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json", "x-slack-signature": "v0=00" },
  });
  assert.equal(slackAsJson.status, 415);
  assert.match((await slackAsJson.json()).message, /x-www-form-urlencoded/);
  const unsigned = await app.request("/", {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
  });
  assert.equal(unsigned.status, 401);
  await unsigned.body?.cancel();
  const ts = Math.floor(Date.now() / 1000);
  const signed = await app.request("/", {
    method: "POST",
    body: "{}",
    headers: {
      "content-type": "application/json",
      "webhook-id": "msg_1",
      "webhook-timestamp": String(ts),
      "webhook-signature": await signStandardWebhook(SECRET, "msg_1", ts, "{}"),
    },
  });
  assert.equal(signed.status, 200);
  assert.deepEqual(await signed.json(), { scheme: "standard", id: "msg_1", timestamp: ts });
});
