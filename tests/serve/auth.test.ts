// --serve end to end: both signature schemes, rotation, rejections (401, no DELETE), replay,
// payload errors, result reads, health and metrics. The real main.ts against the emulator.
import assert from "node:assert/strict";
import { signStandardWebhook } from "../../lib/serve/verify/index.ts";
import { startEmulator } from "../emulator/server.ts";
import { homeFor } from "../helpers.ts";
import {
  get,
  GH_SECRET,
  GH_SECRET_2,
  githubHeaders,
  post,
  standardHeaders,
  startServe,
  STD_SECRET,
  STD_SECRET_2,
} from "./helpers.ts";

const READ_TOKEN = "read-token-xyz";

Deno.test("--serve: signatures, rotation, rejections, replay, payload errors, reads", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { CONTREE_WEBHOOK_RATE: "0", CONTREE_WEBHOOK_READ_TOKEN: READ_TOKEN },
  });
  try {
    const ops = emu.seed(6, { status: "EXECUTING" });
    const deletes = () => emu.seen("DELETE").length;

    // Standard Webhooks, with the first and the rotated secret.
    for (const [i, secret] of [STD_SECRET, STD_SECRET_2].entries()) {
      const body = JSON.stringify({ uuids: [ops[i].uuid] });
      const r = await post(server.url, body, await standardHeaders(body, { secret }));
      assert.equal(r.status, 200, r.text);
      assert.equal((r.json.counts as Record<string, number>).cancelled, 1);
      assert.deepEqual(r.json.outcomes, [{ uuid: ops[i].uuid, status: "cancelled" }]);
      assert.equal(r.json.status, "done");
    }
    // GitHub style, with both secrets; upper-case UUID is canonicalised.
    for (const [i, secret] of [GH_SECRET, GH_SECRET_2].entries()) {
      const body = JSON.stringify({ uuids: [ops[2 + i].uuid.toUpperCase()] });
      const r = await post(server.url, body, await githubHeaders(body, { secret }));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.outcomes, [{ uuid: ops[2 + i].uuid, status: "cancelled" }]);
    }
    assert.equal(deletes(), 4);

    // Rejections: 401, a JSON error naming the problem, no DELETE, no secret echoed.
    const body = JSON.stringify({ uuids: [ops[4].uuid] });
    const good = await standardHeaders(body);
    const stale = Math.floor(Date.now() / 1000) - 400;
    const rejections: [string, Record<string, string>, RegExp][] = [
      ["missing", { "content-type": "application/json" }, /missing signature/],
      [
        "wrong secret",
        await standardHeaders(body, { secret: "whsec_" + btoa("some-other-secret-000000") }),
        /does not match/,
      ],
      [
        "retired github secret",
        await githubHeaders(body, { secret: "gh-secret-retired" }),
        /does not match/,
      ],
      [
        "malformed",
        { ...good, "webhook-signature": "v1,not-base64!" },
        /malformed webhook-signature/,
      ],
      [
        "malformed github",
        { ...(await githubHeaders(body)), "x-hub-signature-256": "sha1=ab" },
        /malformed/,
      ],
      ["no webhook-id", { ...good, "webhook-id": "" }, /webhook-id/],
      [
        "stale",
        {
          ...good,
          "webhook-timestamp": String(stale),
          "webhook-signature": await signStandardWebhook(
            STD_SECRET,
            good["webhook-id"],
            stale,
            body,
          ),
        },
        /outside the 5-minute/,
      ],
      [
        "body changed",
        good,
        /does not match/,
      ],
    ];
    for (const [name, headers, problem] of rejections) {
      const sent = name === "body changed" ? body.replace("]", ', "x"]') : body;
      const r = await post(server.url, sent, headers);
      assert.equal(r.status, 401, `${name}: ${r.text}`);
      assert.equal(r.json.error, "unauthorized", name);
      assert.match(String(r.json.message), problem, name);
      for (const secret of [STD_SECRET, GH_SECRET, "gh-secret-retired"]) {
        assert.ok(!r.text.includes(secret.replace("whsec_", "")), `${name} echoes a secret`);
      }
    }
    assert.equal(deletes(), 4, "no DELETE for a rejected request");

    // Replay: same id, same body back, no second DELETE (also for GitHub ids).
    const replayBody = JSON.stringify({ uuids: [ops[4].uuid] });
    const headers = await standardHeaders(replayBody, { id: "msg_replay_1" });
    const first = await post(server.url, replayBody, headers);
    const again = await post(server.url, replayBody, headers);
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text);
    const ghBody = JSON.stringify({ uuids: [ops[5].uuid] });
    const ghHeaders = await githubHeaders(ghBody, { id: "gh-delivery-1" });
    const ghFirst = await post(server.url, ghBody, ghHeaders);
    const ghAgain = await post(server.url, ghBody, ghHeaders);
    assert.equal(ghAgain.text, ghFirst.text);
    assert.equal(deletes(), 6, "one DELETE per delivery, none for the replays");

    // Result reads: signed over the path (either scheme), or the bearer token.
    const path = "/v1/cancel/msg_replay_1";
    const signedGet = await get(`${server.url}${path}`, await standardHeaders(path));
    assert.equal(signedGet.status, 200);
    assert.equal(signedGet.text, first.text);
    const ghGet = await get(
      `${server.url}/v1/cancel/gh-delivery-1`,
      await githubHeaders("/v1/cancel/gh-delivery-1"),
    );
    assert.equal(ghGet.text, ghFirst.text);
    const bearer = await get(`${server.url}${path}`, { authorization: `Bearer ${READ_TOKEN}` });
    assert.equal(bearer.text, first.text);
    assert.equal((await get(`${server.url}${path}`, { authorization: "Bearer nope" })).status, 401);
    assert.equal((await get(`${server.url}${path}`)).status, 401);
    // A signature for another path does not read this one.
    assert.equal(
      (await get(`${server.url}${path}`, await standardHeaders("/v1/cancel/other"))).status,
      401,
    );
    const unknown = await get(`${server.url}/v1/cancel/msg_none`, {
      authorization: `Bearer ${READ_TOKEN}`,
    });
    assert.equal(unknown.status, 404);

    // Payload errors (signed, so they reach the parser): 400 naming the bad values.
    const bad = JSON.stringify({ uuids: [ops[0].uuid, "HEAD", "@2", "not-a-uuid"] });
    const r400 = await post(server.url, bad, await standardHeaders(bad));
    assert.equal(r400.status, 400);
    assert.equal(r400.json.error, "invalid_uuids");
    assert.deepEqual(r400.json.references, ["HEAD", "@2"]);
    assert.deepEqual(r400.json.invalid, ["not-a-uuid"]);
    const many = JSON.stringify({
      uuids: Array.from({ length: 1001 }, () => crypto.randomUUID()),
    });
    const tooMany = await post(server.url, many, await standardHeaders(many));
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.error, "too_many_uuids");
    assert.match(String(tooMany.json.message), /at most 1000 UUIDs per request, got 1001/);
    assert.equal(deletes(), 6);

    // 415 and 413 (Content-Length and chunked), before any signature work.
    const r415 = await post(server.url, body, { ...good, "content-type": "text/plain" });
    assert.equal(r415.status, 415);
    const big = JSON.stringify({ uuids: ["x".repeat(70_000)] });
    const r413 = await post(server.url, big, await standardHeaders(big));
    assert.equal(r413.status, 413);
    assert.equal(r413.json.error, "payload_too_large");
    const chunked = await fetch(`${server.url}/v1/cancel`, {
      method: "POST",
      headers: await standardHeaders(big),
      body: new Blob([big]).stream(),
    });
    assert.equal(chunked.status, 413);
    await chunked.body?.cancel();

    // Health and metrics.
    const health = await get(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.text, "ok\n");
    const metrics = await get(`${server.url}/metrics`);
    assert.match(
      metrics.text,
      /contree_serve_requests_total\{route="\/v1\/cancel",status="200"\} 8/,
    );
    assert.match(
      metrics.text,
      /contree_serve_requests_total\{route="\/v1\/cancel",status="401"\} 8/,
    );
    assert.match(metrics.text, /contree_serve_cancellations_total\{outcome="cancelled"\} 6/);
    assert.match(
      metrics.text,
      /contree_serve_request_duration_seconds_bucket\{route="\/v1\/cancel",le="\+Inf"\}/,
    );

    // Access log: one JSON line per request, no secrets.
    const { code, stderr } = await server.stop();
    assert.equal(code, 0);
    const access = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    assert.ok(access.length >= 30, `only ${access.length} access lines`);
    const replayLine = access.find((a) => a.delivery === "msg_replay_1" && a.replay);
    assert.equal(replayLine?.status, 200);
    assert.equal(replayLine?.route, "/v1/cancel");
    for (const secret of [STD_SECRET, GH_SECRET, GH_SECRET_2, STD_SECRET_2, READ_TOKEN]) {
      assert.ok(!stderr.includes(secret), "a secret in the logs");
    }
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});
