// --serve for real senders: GitHub (npm @octokit/webhooks-examples payloads signed by
// @octokit/webhooks-methods), Slack slash commands, Alertmanager and Grafana (documented example
// payloads in ./fixtures, signed by node:crypto), each replayed through the spawned server.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { githubExamples, githubSign } from "../deps.ts";
import { startEmulator } from "../emulator/server.ts";
import { homeFor } from "../helpers.ts";
import { post, startServe, waitFor } from "./helpers.ts";

const GH = "github-secret-for-senders-0001";
const SLACK = "8f742231b10e8888abcd99yyyzzz85a5"; // the shape of a Slack signing secret
const BEARER = "alert-bearer-token-0123456789";
const GRAFANA = "grafana-hmac-secret-0123456789";
const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url));

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = githubExamples as unknown as Example[];
const example = (name: string) =>
  structuredClone(examples.find((e) => e.name === name)!.examples[0]);

async function github(
  url: string,
  event: string,
  body: string,
  opts: { id?: string; form?: boolean; secret?: string } = {},
) {
  const raw = opts.form ? `payload=${encodeURIComponent(body)}` : body;
  return post(url, raw, {
    "content-type": opts.form ? "application/x-www-form-urlencoded" : "application/json",
    "x-github-event": event,
    "x-github-delivery": opts.id ?? crypto.randomUUID(),
    "x-hub-signature-256": await githubSign(opts.secret ?? GH, raw),
    "user-agent": "GitHub-Hookshot/044aadd",
  });
}

/** The JSON lines of a server's stderr. */
function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("--serve GitHub: ping, ignored events, repository_dispatch, form deliveries", async () => {
  const emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: { CONTREE_WEBHOOK_SECRET: GH, CONTREE_WEBHOOK_RATE: "0" },
  });
  try {
    const ops = emu.seed(3, { status: "EXECUTING", kind: "instance" });
    // The ping GitHub sends when a hook is created.
    const ping = await github(server.url, "ping", JSON.stringify(example("ping")));
    assert.equal(ping.status, 200, ping.text);
    assert.deepEqual(ping.json, { status: "pong" });
    // GitHub's default content type: form-encoded, signed over the raw form body.
    const formPing = await github(server.url, "ping", JSON.stringify(example("ping")), {
      form: true,
    });
    assert.equal(formPing.status, 200, formPing.text);
    assert.deepEqual(formPing.json, { status: "pong" });
    // Every other event of the examples (repository_dispatch without our fields too): 202 ignored.
    for (const e of examples) {
      if (e.name === "ping") continue;
      const r = await github(server.url, e.name, JSON.stringify(e.examples[0]));
      assert.equal(r.status, 202, `${e.name}: ${r.text}`);
      assert.deepEqual(r.json, { status: "ignored", event: e.name }, e.name);
    }
    const run = await github(server.url, "workflow_run", JSON.stringify(example("workflow_run")), {
      form: true,
    });
    assert.equal(run.status, 202, run.text);
    assert.equal(emu.seen("DELETE").length, 0, "no event but a dispatch cancels anything");

    // repository_dispatch carrying a cancel request: the real payload with our client_payload.
    const dispatch = example("repository_dispatch");
    dispatch.action = "contree-cancel";
    dispatch.client_payload = { uuids: [ops[0].uuid] };
    const r1 = await github(server.url, "repository_dispatch", JSON.stringify(dispatch));
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(r1.json.outcomes, [{ uuid: ops[0].uuid, status: "cancelled" }]);
    dispatch.client_payload = { all: true, kind: "instance" };
    const r2 = await github(server.url, "repository_dispatch", JSON.stringify(dispatch), {
      form: true,
    });
    assert.equal(r2.status, 200, r2.text);
    assert.equal((r2.json.counts as Record<string, number>).cancelled, 2, r2.text);
    assert.equal(emu.seen("DELETE").length, 3);
    // A dispatch with a bad request in client_payload is a 400 naming it.
    dispatch.client_payload = { uuids: ["HEAD"] };
    const bad = await github(server.url, "repository_dispatch", JSON.stringify(dispatch));
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error, "invalid_uuids");

    // The form body is what is signed: a signature over the JSON alone does not match.
    const json = JSON.stringify(example("ping"));
    const forged = await post(server.url, `payload=${encodeURIComponent(json)}`, {
      "content-type": "application/x-www-form-urlencoded",
      "x-github-event": "ping",
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": await githubSign(GH, json),
    });
    assert.equal(forged.status, 401, forged.text);
    assert.equal(forged.json.reason, "bad_signature");
    const plain = await post(server.url, json, {
      "content-type": "text/plain",
      "x-github-event": "ping",
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": await githubSign(GH, json),
    });
    assert.equal(plain.status, 415, plain.text);

    // A reused delivery id with a different body: 409, not the old result, and no DELETE.
    const id = crypto.randomUUID();
    dispatch.client_payload = { uuids: [ops[0].uuid] };
    const first = await github(server.url, "repository_dispatch", JSON.stringify(dispatch), { id });
    assert.equal(first.status, 200, first.text);
    const again = await github(server.url, "repository_dispatch", JSON.stringify(dispatch), { id });
    assert.equal(again.text, first.text, "the same body replays the same answer");
    dispatch.client_payload = { all: true };
    const reused = await github(server.url, "repository_dispatch", JSON.stringify(dispatch), {
      id,
    });
    assert.equal(reused.status, 409, reused.text);
    assert.equal(reused.json.error, "id_reused");
    assert.equal(emu.seen("DELETE").length, 4);

    const { code, stderr } = await server.stop();
    assert.equal(code, 0, stderr);
    const lines = jsonLines(stderr); // every line is JSON
    const access = lines.filter((l) => l.method);
    assert.equal(access.find((l) => l.status === 409)?.reason, "id_reused");
    assert.equal(access.find((l) => l.status === 401)?.reason, "bad_signature");
    assert.equal(access.find((l) => l.status === 415)?.reason, "unsupported_media_type");
    assert.ok(access.some((l) => l.event === "workflow_run" && l.reason === "ignored"));
    const audits = lines.filter((l) => l.event === "audit");
    assert.equal(audits.length, 3, JSON.stringify(audits));
    assert.deepEqual(audits[0].cancelled, [ops[0].uuid]);
    assert.equal(audits[0].sender, "github");
    assert.deepEqual(
      [...(audits[1].cancelled as string[])].sort(),
      [ops[1].uuid, ops[2].uuid].sort(),
    );
    assert.deepEqual(audits[2].cancelled, []);
    assert.deepEqual(
      (audits[2].outcomes as Record<string, unknown>[]).map((o) => [o.uuid, o.status]),
      [[ops[0].uuid, "already_finished"]],
    );
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});

/** A local stand-in for Slack's response_url: records every POST. */
function fakeSlack() {
  const seen: { path: string; body: Record<string, unknown> }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({ path: new URL(req.url).pathname, body: await req.json() });
    return new Response("ok");
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

/** A slash command: Slack's documented body with our command, text and response_url. */
function slashBody(text: string, responseUrl: string): string {
  const form = new URLSearchParams(fixture("slack_slash_command.txt"));
  form.set("command", "/contree-cancel");
  form.set("text", text);
  form.set("response_url", responseUrl);
  form.set("trigger_id", `${Date.now()}.47445629121.${crypto.randomUUID().replaceAll("-", "")}`);
  return form.toString();
}

function slackHeaders(body: string, opts: { ts?: number; secret?: string } = {}) {
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const sig = createHmac("sha256", opts.secret ?? SLACK).update(`v0:${ts}:${body}`).digest("hex");
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": ts,
    "x-slack-signature": `v0=${sig}`,
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
  };
}

Deno.test("--serve Slack: slash commands, ephemeral answers, the delayed result to response_url", async () => {
  const emu = await startEmulator();
  const hooks = fakeSlack();
  const server = await startServe({
    home: homeFor(emu),
    env: {
      CONTREE_WEBHOOK_SECRET: "",
      CONTREE_SLACK_SIGNING_SECRET: SLACK,
      CONTREE_SLACK_RESPONSE_URL_PREFIX: `${hooks.url}/commands/`,
      CONTREE_WEBHOOK_RATE: "0",
    },
    // Slack gets min(--deadline, 2.5 s): a 1 s deadline keeps the slow case short.
    args: ["--deadline", "1"],
  });
  try {
    const [a, b, c] = emu.seed(3, { status: "EXECUTING" });
    // Fast: the answer itself says what was cancelled, seen only by the user (ephemeral).
    const body = slashBody(a.uuid, `${hooks.url}/commands/T1/1/x`);
    const fast = await post(server.url, body, slackHeaders(body));
    assert.equal(fast.status, 200, fast.text);
    assert.equal(fast.json.response_type, "ephemeral");
    assert.match(String(fast.json.text), /^Done: 1 of 1 operation\(s\) cancelled/);
    assert.equal(emu.seen("DELETE", a.uuid).length, 1);

    // Slow: "working on it" within Slack's 3 s, then the result POSTed to the response_url.
    emu.fault({ method: "DELETE", delayMs: 1500 });
    const slowBody = slashBody(b.uuid, `${hooks.url}/commands/T1/2/y`);
    const t0 = Date.now();
    const slow = await post(server.url, slowBody, slackHeaders(slowBody));
    assert.ok(Date.now() - t0 < 1500, `answered after ${Date.now() - t0} ms`);
    assert.equal(slow.status, 200, slow.text);
    assert.match(String(slow.json.text), /^Working on it/);
    const followUp = await waitFor("the response_url POST", () => hooks.seen[0]);
    assert.equal(followUp.path, "/commands/T1/2/y");
    assert.equal(followUp.body.response_type, "ephemeral");
    assert.match(String(followUp.body.text), /^Done: 1 of 1 operation\(s\) cancelled/);

    // A response_url outside the allowed prefix is never contacted.
    emu.fault({ method: "DELETE", delayMs: 1500 });
    const offBody = slashBody(c.uuid, `${hooks.url}/elsewhere/T1/3/z`);
    const off = await post(server.url, offBody, slackHeaders(offBody));
    assert.match(String(off.json.text), /^Working on it/);
    await waitFor("the refusal", () => /response_url refused/.test(server.stderr()));
    assert.equal(hooks.seen.length, 1);

    // Usage, a bad UUID, `all` with a kind that does not exist: a usage message, nothing cancelled.
    for (const text of ["", "help", "not-a-uuid", "all spaceships"]) {
      const u = slashBody(text, `${hooks.url}/commands/T1/4/u`);
      const r = await post(server.url, u, slackHeaders(u));
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.json.text), /usage: \/contree-cancel UUID/, text);
    }
    // Signatures: stale, wrong secret, and Slack's body signed as JSON: refused.
    const stale = await post(
      server.url,
      body,
      slackHeaders(body, { ts: Math.floor(Date.now() / 1000) - 400 }),
    );
    assert.equal(stale.status, 401);
    assert.equal(stale.json.reason, "stale");
    const wrong = await post(server.url, body, slackHeaders(body, { secret: "x".repeat(32) }));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.reason, "bad_signature");
    const json = await post(server.url, body, {
      ...slackHeaders(body),
      "content-type": "application/json",
    });
    assert.equal(json.status, 415);
    assert.equal(emu.seen("DELETE").length, 3);
  } finally {
    await server.stop("SIGKILL");
    await hooks.close();
    await emu.close();
  }
});

function grafanaSig(body: string, ts?: string): string {
  return createHmac("sha256", GRAFANA).update(ts ? `${ts}:${body}` : body).digest("hex");
}

Deno.test("--serve Alertmanager and Grafana: bearer token or Grafana HMAC, labels say what to cancel", async () => {
  const emu = await startEmulator();
  const server = await startServe({
    home: homeFor(emu),
    env: {
      CONTREE_WEBHOOK_SECRET: "",
      CONTREE_WEBHOOK_BEARER: BEARER,
      CONTREE_GRAFANA_SECRET: GRAFANA,
      CONTREE_WEBHOOK_RATE: "0",
    },
  });
  const am = (body: string, token = BEARER, ua = "Alertmanager/0.27.0") =>
    post(server.url, body, {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      "user-agent": ua,
    });
  try {
    const [one, two] = emu.seed(2, { status: "EXECUTING", kind: "instance" });
    const [img] = emu.seed(1, { status: "PENDING", kind: "image_import" });
    const alert = JSON.parse(fixture("alertmanager.json"));

    // Firing, no contree labels: acknowledged, ignored.
    const plain = await am(JSON.stringify(alert));
    assert.equal(plain.status, 202, plain.text);
    assert.equal(plain.json.status, "ignored");
    // Resolved with a contree_uuid: ignored too.
    const resolved = structuredClone(alert);
    resolved.status = "resolved";
    resolved.alerts[0].status = "resolved";
    resolved.alerts[0].labels.contree_uuid = one.uuid;
    assert.equal((await am(JSON.stringify(resolved))).status, 202);
    assert.equal(emu.seen("DELETE").length, 0);

    // Firing with contree_uuid: that operation.
    const firing = structuredClone(alert);
    firing.alerts[0].labels.contree_uuid = one.uuid;
    const r1 = await am(JSON.stringify(firing));
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(r1.json.outcomes, [{ uuid: one.uuid, status: "cancelled" }]);
    // Wrong or missing token: 401, nothing cancelled.
    const bad = await am(JSON.stringify(firing), "not-the-token-0123456789");
    assert.equal(bad.status, 401);
    assert.equal(bad.json.reason, "bad_token");
    // A label that is not a UUID: 400 naming it.
    firing.alerts[0].labels.contree_uuid = "HEAD";
    const badLabel = await am(JSON.stringify(firing));
    assert.equal(badLabel.status, 400, badLabel.text);
    assert.match(String(badLabel.json.message), /contree_uuid=HEAD/);

    // Grafana's documented payload, budget alarm: contree_cancel=all, only instances.
    const grafana = JSON.parse(fixture("grafana.json"));
    grafana.alerts[0].labels.contree_cancel = "all";
    grafana.alerts[0].labels.contree_kind = "instance";
    const gBody = JSON.stringify(grafana);
    const ts = String(Math.floor(Date.now() / 1000));
    const g = await post(server.url, gBody, {
      "content-type": "application/json",
      "user-agent": "Grafana",
      "x-grafana-alerting-signature": grafanaSig(gBody, ts),
      "x-grafana-alerting-signature-timestamp": ts,
    });
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json.outcomes, [{ uuid: two.uuid, status: "cancelled" }]);
    assert.equal(emu.seen("DELETE", img.uuid).length, 0, "image imports are left alone");
    // HMAC over the body alone (no timestamp header), and a forged one.
    const noTs = await post(server.url, gBody, {
      "content-type": "application/json",
      "x-grafana-alerting-signature": grafanaSig(gBody),
    });
    assert.equal(noTs.status, 200, noTs.text);
    const forged = await post(server.url, gBody, {
      "content-type": "application/json",
      "x-grafana-alerting-signature": grafanaSig(gBody + " "),
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.json.reason, "bad_signature");
    // Grafana with the bearer token (its contact point's Authorization header): all kinds.
    grafana.alerts[0].labels = { alertname: "Budget", contree_cancel: "all" };
    const gb = await am(JSON.stringify(grafana), BEARER, "Grafana");
    assert.equal(gb.status, 200, gb.text);
    assert.deepEqual(gb.json.outcomes, [{ uuid: img.uuid, status: "cancelled" }]);

    const { stderr } = await server.stop();
    const lines = jsonLines(stderr);
    const schemes = lines.filter((l) => l.status === 200 && l.method).map((l) => l.scheme);
    assert.deepEqual(schemes, ["alertmanager", "grafana", "grafana", "grafana"]);
    assert.ok(!stderr.includes(BEARER) && !stderr.includes(GRAFANA), "a secret in the logs");
  } finally {
    await server.stop("SIGKILL");
    await emu.close();
  }
});
