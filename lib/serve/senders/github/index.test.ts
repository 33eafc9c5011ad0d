import assert from "node:assert/strict";
import { githubExamples } from "../../../../tests/deps.ts";
import { interpretGithub } from "./index.ts";

const enc = (s: string) => new TextEncoder().encode(s);
type Example = { name: string; examples: Record<string, unknown>[] };

Deno.test("github: ping is pong, every other example event is ignored, never a 4xx", () => {
  for (const e of githubExamples as unknown as Example[]) {
    for (const ex of e.examples) {
      const r = interpretGithub(e.name, "application/json", enc(JSON.stringify(ex)));
      assert.equal(r.kind, "answer", e.name);
      if (r.kind !== "answer") continue;
      if (e.name === "ping") assert.deepEqual([r.status, r.body], [200, { status: "pong" }]);
      else assert.deepEqual([r.status, r.body], [202, { status: "ignored", event: e.name }]);
    }
  }
});

Deno.test("github: repository_dispatch with a cancel request, as JSON or form; bad names", () => {
  const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
  const body = JSON.stringify({ action: "contree-cancel", client_payload: { uuids: [uuid] } });
  assert.deepEqual(interpretGithub("repository_dispatch", "application/json", enc(body)), {
    kind: "cancel",
    request: { uuids: [uuid] },
  });
  const form = `payload=${encodeURIComponent(body)}`;
  assert.equal(
    interpretGithub("repository_dispatch", "application/x-www-form-urlencoded", enc(form)).kind,
    "cancel",
  );
  const noPayload = interpretGithub("ping", "application/x-www-form-urlencoded", enc("a=b"));
  assert.equal(noPayload.kind === "answer" && noPayload.status, 400);
  const weird = interpretGithub("Evil\x1b[2J", "application/json", enc("{}"));
  assert.deepEqual(weird.kind === "answer" && weird.body, { status: "ignored", event: "other" });
  // Without X-GitHub-Event: this server's own request, as before.
  assert.equal(interpretGithub(undefined, "application/json", enc('{"all": true}')).kind, "cancel");
});
