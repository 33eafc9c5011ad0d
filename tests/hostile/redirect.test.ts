// Issue 10 item 3: API requests never follow redirects; a 3xx is an error naming its Location,
// never a success, never cached, and nothing ever reaches another host.
import assert from "node:assert/strict";
import { CONCURRENCY_CASES, lines, makeHome, runContree } from "../helpers.ts";
import { jsonResponse, startFake } from "./fake.ts";

const A = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
const B = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda80";
const C = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda81";

Deno.test("redirects: kill, show and ps treat 3xx as an error; the foreign host is never contacted", async () => {
  // The "foreign" host answers everything with success: an HTML login page, or an operation.
  const foreign = startFake((_req, url) =>
    url.pathname.startsWith("/v1/operations/")
      ? jsonResponse({ uuid: A, status: "SUCCESS", kind: "instance" })
      : new Response("<html>login</html>", { headers: { "content-type": "text/html" } })
  );
  const statusFor: Record<string, number> = { [A]: 302, [B]: 303, [C]: 307 };
  const api = startFake((_req, url) => {
    const uuid = url.pathname.split("/").at(-1)!;
    const status = statusFor[uuid] ?? 308;
    return new Response(null, { status, headers: { location: `${foreign.url}${url.pathname}` } });
  });
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    for (const [i, { env }] of CONCURRENCY_CASES.entries()) {
      const kill = await runContree(["kill", A, B, C], { home, env });
      assert.equal(kill.code, 1, kill.stderr);
      assert.deepEqual(lines(kill.stderr), [
        `[ERROR] Failed to cancel ${A}: API 302 Found: redirected to ${foreign.url}/v1/operations/${A}; check the profile's url`,
        `[ERROR] Failed to cancel ${B}: API 303 See Other: redirected to ${foreign.url}/v1/operations/${B}; check the profile's url`,
        `[ERROR] Failed to cancel ${C}: API 307 Temporary Redirect: redirected to ${foreign.url}/v1/operations/${C}; check the profile's url`,
      ]);
      // Not retried, and no stop at the first: one DELETE per operation, to the profile's host.
      assert.equal(api.seen("DELETE").length, 3 * (i + 1));
    }

    for (let i = 0; i < 2; i++) {
      const show = await runContree(["-f", "json", "show", A], { home });
      assert.equal(show.code, 1, show.stderr);
      assert.equal(show.stdout, "");
      assert.deepEqual(lines(show.stderr), [
        `[ERROR] Failed to fetch ${A}: API 302 Found: redirected to ${foreign.url}/v1/operations/${A}; check the profile's url`,
      ]);
    }
    // Never cached: the second show asked the API again.
    assert.equal(api.seen("GET", A).length, 2);

    const ps = await runContree(["ps"], { home, env: { CONTREE_CONCURRENCY: "1" } });
    assert.equal(ps.code, 1, ps.stderr);
    assert.equal(ps.stdout, "");
    assert.deepEqual(lines(ps.stderr), [
      `[ERROR] API 308 Permanent Redirect: redirected to ${foreign.url}/v1/operations; check the profile's url`,
    ]);

    assert.equal(foreign.requests.length, 0, JSON.stringify(foreign.requests));
  } finally {
    await api.close();
    await foreign.close();
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("redirects: a relative or missing Location is named safely", async () => {
  let n = 0;
  const api = startFake(() =>
    ++n === 1
      ? new Response(null, { status: 301, headers: { location: "/login?next=%1B[2J" } })
      : new Response("moved", { status: 302 })
  );
  const home = makeHome([{ token: "tok", url: api.url }]);
  try {
    const r = await runContree(["kill", A, B], { home, env: { CONTREE_CONCURRENCY: "1" } });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      `[ERROR] Failed to cancel ${A}: API 301 Moved Permanently: redirected to ${api.url}/login?next=%1B[2J; check the profile's url`,
      `[ERROR] Failed to cancel ${B}: API 302 Found: redirected without a Location; check the profile's url`,
    ]);
    assert.equal(api.requests.length, 2);
  } finally {
    await api.close();
    Deno.removeSync(home, { recursive: true });
  }
});
