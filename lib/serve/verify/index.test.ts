import assert from "node:assert/strict";
import {
  parseSecrets,
  SecretError,
  signGithubWebhook,
  signStandardWebhook,
  verifyGithubWebhook,
  verifyRequest,
  verifyStandardWebhook,
} from "./index.ts";

const enc = (s: string) => new TextEncoder().encode(s);

// Standard Webhooks' published vector (libraries/javascript/src/webhook.test.ts, "sign function works").
const STD = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
// GitHub's documented example (docs: "Validating webhook deliveries").
const GH = {
  secret: "It's a Secret to Everybody",
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};
const AT = STD.timestamp * 1000;

async function githubKeys(secret: string) {
  // The env format splits on spaces, so GitHub's example secret is imported through a one-entry list.
  const s = await parseSecrets("placeholder-0123456789");
  s.github = [
    await crypto.subtle.importKey("raw", enc(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]),
  ];
  return s.github;
}

Deno.test("Standard Webhooks published vector: sign and verify", async () => {
  assert.equal(
    await signStandardWebhook(STD.secret, STD.id, STD.timestamp, STD.body),
    STD.signature,
  );
  const { standard } = await parseSecrets(STD.secret);
  const v = await verifyStandardWebhook(
    standard,
    {
      id: STD.id,
      timestamp: String(STD.timestamp),
      signature: STD.signature,
    },
    enc(STD.body),
    AT,
  );
  assert.deepEqual(v, {
    ok: true,
    delivery: { scheme: "standard", id: STD.id, timestamp: STD.timestamp },
  });
});

Deno.test("Standard Webhooks: several signatures, one valid, is accepted", async () => {
  const { standard } = await parseSecrets(STD.secret);
  const signature = [
    "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
    "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
    STD.signature,
  ].join(" ");
  const v = await verifyStandardWebhook(
    standard,
    {
      id: STD.id,
      timestamp: String(STD.timestamp),
      signature,
    },
    enc(STD.body),
    AT,
  );
  assert.equal(v.ok, true);
});

Deno.test("Standard Webhooks: rejections name the problem", async () => {
  const { standard } = await parseSecrets(STD.secret);
  const base = { id: STD.id, timestamp: String(STD.timestamp), signature: STD.signature };
  const cases: [Partial<typeof base>, number, RegExp][] = [
    [{ id: undefined }, AT, /missing webhook-id/],
    [{ timestamp: undefined }, AT, /missing webhook-timestamp/],
    [{ timestamp: "hello" }, AT, /malformed webhook-timestamp/],
    [{ signature: undefined }, AT, /missing webhook-signature/],
    // Well-formed base64 (unpadded, of the wrong length): a wrong signature, not a malformed one.
    [{ signature: "v1,dawfeoifkpqwoekfpqoekf" }, AT, /does not match/],
    [{ signature: "v1," + btoa("twenty bytes, wrong!") }, AT, /does not match/],
    [{ signature: STD.signature.slice(0, 8) }, AT, /malformed webhook-signature/],
    [{ signature: "v1," }, AT, /malformed webhook-signature/],
    [{ signature: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=" }, AT, /does not match/],
    [{}, AT - 301_000, /outside the 5-minute/],
    [{}, AT + 301_000, /outside the 5-minute/],
    [{ id: "msg_other" }, AT, /does not match/],
  ];
  for (const [change, now, problem] of cases) {
    const v = await verifyStandardWebhook(standard, { ...base, ...change }, enc(STD.body), now);
    assert.equal(v.ok, false, JSON.stringify(change));
    if (!v.ok) {
      assert.match(v.problem, problem);
      assert.ok(!v.problem.includes("g0hM9SsE"), "never echoes a signature");
    }
  }
  // A changed body fails too.
  const v = await verifyStandardWebhook(standard, base, enc(STD.body + " "), AT);
  assert.equal(v.ok, false);
});

Deno.test("GitHub documented example: sign and verify", async () => {
  assert.equal(await signGithubWebhook(GH.secret, GH.body), GH.signature);
  const keys = await githubKeys(GH.secret);
  const v = await verifyGithubWebhook(
    keys,
    { signature: GH.signature, delivery: "d-1" },
    enc(GH.body),
  );
  assert.deepEqual(v, { ok: true, delivery: { scheme: "github", id: "d-1" } });
  const upper = "sha256=" + GH.signature.slice(7).toUpperCase();
  assert.equal(
    (await verifyGithubWebhook(keys, { signature: upper, delivery: "d" }, enc(GH.body))).ok,
    true,
  );
});

Deno.test("GitHub: rejections name the problem", async () => {
  const keys = await githubKeys(GH.secret);
  const cases: [string | null, string | null, string, RegExp][] = [
    [null, "d", GH.body, /missing X-Hub-Signature-256/],
    ["sha1=abc", "d", GH.body, /malformed X-Hub-Signature-256/],
    [GH.signature.slice(0, 20), "d", GH.body, /malformed/],
    // Well-formed hex of the wrong length: a wrong signature, not a malformed one.
    ["sha256=" + "ab".repeat(20), "d", GH.body, /does not match/],
    [GH.signature, null, GH.body, /missing X-GitHub-Delivery/],
    [GH.signature, "bad id with spaces", GH.body, /malformed X-GitHub-Delivery/],
    [GH.signature, "d", "Hello, World?", /does not match/],
  ];
  for (const [signature, delivery, body, problem] of cases) {
    const v = await verifyGithubWebhook(keys, { signature, delivery }, enc(body));
    assert.equal(v.ok, false);
    if (!v.ok) assert.match(v.problem, problem);
  }
});

Deno.test("key rotation: any configured secret of the scheme verifies", async () => {
  const secrets = await parseSecrets(`old-secret-0123456789 ${STD.secret} new-secret-0123456789`);
  assert.equal(secrets.standard.length, 1);
  assert.equal(secrets.github.length, 2);
  for (const s of ["old-secret-0123456789", "new-secret-0123456789"]) {
    const h = new Headers({
      "x-hub-signature-256": await signGithubWebhook(s, "{}"),
      "x-github-delivery": "d",
    });
    assert.equal((await verifyRequest(secrets, h, enc("{}"))).ok, true, s);
  }
  const h = new Headers({
    "x-hub-signature-256": await signGithubWebhook("retired-secret", "{}"),
    "x-github-delivery": "d",
  });
  assert.equal((await verifyRequest(secrets, h, enc("{}"))).ok, false);
});

Deno.test("verifyRequest picks the scheme from the headers; no headers is a named problem", async () => {
  const secrets = await parseSecrets(STD.secret);
  const none = await verifyRequest(secrets, new Headers(), enc("{}"));
  assert.equal(none.ok, false);
  if (!none.ok) assert.match(none.problem, /missing signature/);
  const gh = await verifyRequest(
    secrets,
    new Headers({ "x-hub-signature-256": GH.signature, "x-github-delivery": "d" }),
    enc(GH.body),
  );
  assert.equal(gh.ok, false);
  if (!gh.ok) assert.match(gh.problem, /no GitHub-style secret/);
  const std = await verifyRequest(
    secrets,
    new Headers({
      "webhook-id": STD.id,
      "webhook-timestamp": String(STD.timestamp),
      "webhook-signature": STD.signature,
    }),
    enc(STD.body),
    AT,
  );
  assert.equal(std.ok, true);
});

Deno.test("parseSecrets refuses no secret and malformed whsec_, without echoing them", async () => {
  for (const raw of [undefined, "", "   "]) {
    await assert.rejects(() => parseSecrets(raw), SecretError);
  }
  for (const raw of ["whsec_not*base64", "whsec_c2hvcnQ="]) {
    await assert.rejects(() => parseSecrets(`ok-secret-0123456789 ${raw}`), (e: Error) => {
      assert.ok(e instanceof SecretError);
      assert.match(e.message, /entry 2/);
      assert.ok(!e.message.includes(raw.slice(6)));
      return true;
    });
  }
});

Deno.test("signStandardWebhook signs a byte body's exact bytes (also when it is not UTF-8)", async () => {
  const { createHmac } = await import("node:crypto");
  const { Webhook } = await import("../../../tests/deps.ts").then((m) => ({
    Webhook: m.StandardWebhook,
  }));
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const key = Uint8Array.from(atob(secret.slice(6)), (ch) => ch.charCodeAt(0));
  const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x80, 0x22, 0x7d]);
  const expected = "v1," +
    createHmac("sha256", key).update("msg_1.1614265330.").update(bytes).digest("base64");
  assert.equal(await signStandardWebhook(secret, "msg_1", 1614265330, bytes), expected);
  // A UTF-8 body: the same as the independent signer, as text and as bytes.
  const text = '{"uuids": ["é"]}';
  const independent = new Webhook(secret.slice(6)).sign("msg_2", new Date(1614265330_000), text);
  assert.equal(await signStandardWebhook(secret, "msg_2", 1614265330, text), independent);
  assert.equal(
    await signStandardWebhook(secret, "msg_2", 1614265330, new TextEncoder().encode(text)),
    independent,
  );
});

Deno.test("rejections carry a short code; a GitHub secret under 16 bytes is refused", async () => {
  const { standard } = await parseSecrets(STD.secret);
  const base = { id: STD.id, timestamp: String(STD.timestamp), signature: STD.signature };
  const codes: [Partial<typeof base>, number, string][] = [
    [{ id: undefined }, AT, "missing_header"],
    [{ timestamp: "x" }, AT, "malformed_header"],
    [{}, AT + 400_000, "stale"],
    [{ signature: "v1," + btoa("x".repeat(32)) }, AT, "bad_signature"],
  ];
  for (const [change, now, code] of codes) {
    const v = await verifyStandardWebhook(standard, { ...base, ...change }, enc(STD.body), now);
    assert.equal(v.ok ? "ok" : v.code, code, JSON.stringify(change));
  }
  const none = await verifyRequest({ standard, github: [] }, new Headers(), enc("{}"));
  assert.equal(none.ok ? "ok" : none.code, "missing_signature");
  await assert.rejects(
    () => parseSecrets("short-secret"),
    (e: Error) => e instanceof SecretError && /at least 16 bytes/.test(e.message),
  );
  assert.equal((await parseSecrets("a-secret-of-16-b")).github.length, 1);
});
