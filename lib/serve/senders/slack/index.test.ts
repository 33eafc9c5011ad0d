import assert from "node:assert/strict";
import {
  allowedResponseUrl,
  parseSlackCommand,
  postSlackResponse,
  slackEscape,
  slackSummary,
  verifySlack,
} from "./index.ts";

const enc = (s: string) => new TextEncoder().encode(s);
// Slack's documented example ("Verifying requests from Slack"): secret, timestamp, body, signature.
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TS = "1531420618";
const BODY = Deno.readTextFileSync(
  new URL("../../../../tests/serve/fixtures/slack_slash_command.txt", import.meta.url),
);
const SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const key = () =>
  crypto.subtle.importKey("raw", enc(SECRET), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);

Deno.test("slack: Slack's documented signature verifies; every refusal has its code", async () => {
  const keys = [await key()];
  const at = Number(TS) * 1000;
  const ok = await verifySlack(keys, { timestamp: TS, signature: SIG }, enc(BODY), at);
  assert.deepEqual(ok, {
    ok: true,
    delivery: {
      scheme: "slack",
      id: "slack_398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
    },
  });
  const cases: [Parameters<typeof verifySlack>[1], string, number, string][] = [
    [{ signature: SIG }, BODY, at, "missing_header"],
    [{ timestamp: "soon", signature: SIG }, BODY, at, "malformed_header"],
    [{ timestamp: TS, signature: SIG }, BODY, at + 301_000, "stale"],
    [{ timestamp: TS }, BODY, at, "missing_header"],
    [{ timestamp: TS, signature: "v1=abcd" }, BODY, at, "malformed_header"],
    [{ timestamp: TS, signature: SIG }, BODY + "&x=1", at, "bad_signature"],
    [{ timestamp: TS, signature: "v0=" + "ab".repeat(20) }, BODY, at, "bad_signature"],
  ];
  for (const [headers, body, now, code] of cases) {
    const v = await verifySlack(keys, headers, enc(body), now);
    assert.equal(v.ok ? "ok" : v.code, code, JSON.stringify(headers));
  }
  const none = await verifySlack([], { timestamp: TS, signature: SIG }, enc(BODY), at);
  assert.equal(none.ok ? "ok" : none.code, "no_secret");
});

Deno.test("slack: command text becomes a request or a usage message", () => {
  const cmd = (text: string) =>
    parseSlackCommand(enc(new URLSearchParams({ command: "/stop", text }).toString()));
  const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
  assert.deepEqual(cmd(` ${uuid.toUpperCase()}  ${uuid} `).request, { uuids: [uuid] });
  assert.deepEqual(cmd("ALL").request, { all: true });
  assert.deepEqual(cmd("all image_import").request, { all: true, kind: "image_import" });
  for (const bad of ["", "help", "HEAD", "all x", "all instance more"]) {
    const r = cmd(bad);
    assert.equal(r.request, undefined, bad);
    assert.match(r.usage ?? "", /usage: \/stop UUID/, bad);
  }
});

Deno.test("slack: summaries are escaped; response_urls are checked and posted without redirects", async () => {
  assert.equal(slackEscape("<@U1> & \x1b[2J\nx"), "&lt;@U1&gt; &amp;  [2J x");
  const text = slackSummary({
    status: "retrying",
    counts: { requested: 2, cancelled: 1, failed: 1 },
    outcomes: [{ uuid: "u", status: "failed", error: "API 502 <b>" }],
  });
  assert.equal(
    text,
    "Not finished yet; still retrying: 1 of 2 operation(s) cancelled, 1 failed.\nu: API 502 &lt;b&gt;\nThe result will follow here.",
  );
  assert.ok(allowedResponseUrl("https://hooks.slack.com/commands/1") instanceof URL);
  assert.equal(
    allowedResponseUrl("https://hooks.slack.com.evil.example/x"),
    "not under https://hooks.slack.com/",
  );
  assert.equal(allowedResponseUrl("https://u:p@hooks.slack.com/x"), "has credentials");
  let seen: RequestInit | undefined;
  const fake = (_url: string | URL | Request, init?: RequestInit) => {
    seen = init;
    return Promise.resolve(new Response(null, { status: 302, headers: { location: "http://x/" } }));
  };
  const out = await postSlackResponse("https://hooks.slack.com/c/1", { text: "t" }, {
    fetch: fake,
  });
  assert.equal(out, "response_url answered 302");
  assert.equal(seen?.redirect, "manual");
  assert.match(await postSlackResponse("http://127.0.0.1/x", {}, { fetch: fake }), /refused/);
});
