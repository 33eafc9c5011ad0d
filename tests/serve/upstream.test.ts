// --serve end to end: rate limit, the API answering 5xx or being down, start-up refusals.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { homeFor, runContree, tempHome } from "../helpers.ts";
import { get, post, standardHeaders, startServe } from "./helpers.ts";

Deno.test("--serve: a source sending too fast gets 429 with Retry-After", async () => {
  await using emu = await startEmulator();
  const server = await startServe({ home: homeFor(emu), env: { CONTREE_WEBHOOK_RATE: "1" } });
  try {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ uuids: [crypto.randomUUID()] });
      const r = await post(server.url, body, await standardHeaders(body));
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get("retry-after");
        assert.equal(r.json.error, "rate_limited");
      }
    }
    assert.deepEqual(statuses.slice(0, 2), [200, 200], "burst of 2 allowed");
    assert.ok(statuses.slice(2).includes(429), statuses.join(","));
    assert.match(retryAfter ?? "", /^[1-9]\d*$/);
    assert.equal((await get(`${server.url}/healthz`)).status, 200, "health is not rate limited");
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve: API answering 5xx gives per-UUID retryable failures (503), and the server keeps serving", async () => {
  await using emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { CONTREE_WEBHOOK_RATE: "0", CONTREE_RETRY_DELAYS: "0.01,0.01", CONTREE_CONCURRENCY: "1" },
  });
  try {
    const [a, b] = emu.seed(2);
    emu.fault({ method: "DELETE", status: 502, times: 3, body: "bad gateway" });
    const body = JSON.stringify({ uuids: [a.uuid, b.uuid] });
    const r = await post(server.url, body, await standardHeaders(body));
    // A 5xx is retryable: not final, so 503 + Retry-After with the result so far.
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.deepEqual(r.json.outcomes, [
      {
        uuid: a.uuid,
        status: "failed",
        error: "API 502 Bad Gateway: bad gateway",
        retryable: true,
      },
      { uuid: b.uuid, status: "cancelled" },
    ]);
    assert.deepEqual(r.json.counts, {
      requested: 2,
      cancelled: 1,
      not_found: 0,
      already_finished: 0,
      failed: 1,
      retryable: 1,
      not_attempted: 0,
    });
    const metrics = await get(`${server.url}/metrics`);
    assert.match(metrics.text, /contree_serve_upstream_errors_total\{kind="502"\} 1/);
    assert.match(metrics.text, /contree_serve_cancellations_total\{outcome="failed"\} 1/);
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

Deno.test("--serve: API down gives per-UUID network failures (503); all:true answers 503 and is retryable", async () => {
  // Nothing listens on the profile's URL.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  using home = tempHome([{ token: "t", url: `http://127.0.0.1:${port}` }]);
  const server = await startServe({
    home: home.path,
    env: { CONTREE_WEBHOOK_RATE: "0", CONTREE_RETRY_DELAYS: "0.01" },
  });
  try {
    const uuids = [crypto.randomUUID(), crypto.randomUUID()];
    const body = JSON.stringify({ uuids });
    const r = await post(server.url, body, await standardHeaders(body));
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.status, "incomplete");
    const outcomes = r.json.outcomes as { uuid: string; status: string; error: string }[];
    assert.deepEqual(outcomes.map((o) => [o.uuid, o.status]), uuids.map((u) => [u, "failed"]));
    for (const o of outcomes) assert.match(o.error, /Connection refused/);
    const all = JSON.stringify({ all: true });
    const headers = await standardHeaders(all, { id: "msg_all_down" });
    const r503 = await post(server.url, all, headers);
    assert.equal(r503.status, 503, r503.text);
    assert.equal(r503.json.error, "upstream_error");
    assert.match(String(r503.json.message), /listing active operations failed/);
    // Not final: the sender's retry of the same delivery lists again.
    assert.equal((await post(server.url, all, headers)).status, 503);
    assert.equal((await get(`${server.url}/healthz`)).status, 200);
    const metrics = await get(`${server.url}/metrics`);
    assert.match(metrics.text, /contree_serve_upstream_errors_total\{kind="network"\} 4/);
  } finally {
    await server.stop("SIGKILL");
  }
});

Deno.test("--serve refuses to start without a secret, with UUIDs, or with a bad whsec_", async () => {
  await using emu = await startEmulator();
  try {
    const home = homeFor(emu);
    const none = await runContree(["kill", "--serve", "--port", "0"], { home });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /CONTREE_WEBHOOK_SECRET is not set/);
    const bad = await runContree(["op", "cancel", "--serve", "--port", "0"], {
      home,
      env: { CONTREE_WEBHOOK_SECRET: "whsec_%%%notbase64" },
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /entry 1: a whsec_ secret must be base64/);
    assert.ok(!bad.stderr.includes("%%%notbase64"));
    const uuids = await runContree(["kill", "--serve", crypto.randomUUID()], {
      home,
      env: { CONTREE_WEBHOOK_SECRET: "s" },
    });
    assert.equal(uuids.code, 1);
    assert.match(uuids.stderr, /--serve takes no UUIDs/);
    const help = await runContree(["kill", "--serve", "--help"], { home });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: contree kill --serve \[--hostname HOST\] \[--port PORT\]/);
    assert.match(help.stdout, /CONTREE_WEBHOOK_SECRET/);
    const opHelp = await runContree(["op", "cancel", "--serve", "-h"], { home });
    assert.match(opHelp.stdout, /^usage: contree operation cancel --serve/);
  } finally {
    await emu.close();
  }
});
