// Credentials without a profile (issue 13): CONTREE_TOKEN / CONTREE_URL / CONTREE_TOKEN_FILE and
// --token with -u work with no auth.ini; precedence flag > env > profile; the hints say what to
// put where instead of naming commands this program does not have.
import assert from "node:assert/strict";
import { homeFor, lines, runContree, tempDir, tempHome, withEmulator } from "../helpers.ts";

const UUID = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";

Deno.test("CONTREE_TOKEN and CONTREE_URL work without any auth.ini", () =>
  withEmulator(async (emu) => {
    using home = tempHome();
    const [op] = emu.seed(1, { status: "EXECUTING" });
    const r = await runContree(["-f", "json", "ps"], {
      home: home.path,
      env: { CONTREE_TOKEN: emu.token, CONTREE_URL: emu.url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).uuid, op.uuid);
    assert.equal(emu.requests[0].headers.authorization, `Bearer ${emu.token}`);
  }));

Deno.test("--token with -u works without any auth.ini (the issue's command)", () =>
  withEmulator(async (emu) => {
    using home = tempHome();
    emu.seed(1, { status: "EXECUTING" });
    const r = await runContree(["--token", emu.token, "-u", emu.url, "ps"], { home: home.path });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(emu.seen("GET").every((q) => q.headers.authorization === `Bearer ${emu.token}`));
  }));

Deno.test("CONTREE_TOKEN_FILE: a mounted secret, trailing newline stripped", () =>
  withEmulator(async (emu) => {
    using home = tempHome();
    using dir = tempDir();
    const file = `${dir.path}/token`;
    Deno.writeTextFileSync(file, `${emu.token}\n`);
    const [op] = emu.seed(1);
    const r = await runContree(["kill", op.uuid], {
      home: home.path,
      env: { CONTREE_TOKEN_FILE: file, CONTREE_URL: emu.url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(emu.seen("DELETE")[0].headers.authorization, `Bearer ${emu.token}`);
  }));

Deno.test("CONTREE_TOKEN_FILE problems are one-line errors, nothing sent", () =>
  withEmulator(async (emu) => {
    using home = tempHome();
    using dir = tempDir();
    const big = `${dir.path}/big`;
    Deno.writeFileSync(big, new Uint8Array(1024 * 1024 + 1).fill(65));
    const cases: [Record<string, string>, string][] = [
      [
        { CONTREE_TOKEN_FILE: `${dir.path}/missing` },
        `CONTREE_TOKEN_FILE: cannot read ${dir.path}/missing: not found`,
      ],
      [
        { CONTREE_TOKEN_FILE: dir.path },
        `CONTREE_TOKEN_FILE: cannot read ${dir.path}: is a directory`,
      ],
      [{ CONTREE_TOKEN_FILE: big }, `CONTREE_TOKEN_FILE: cannot read ${big}: larger than 1 MiB`],
      [
        { CONTREE_TOKEN_FILE: big, CONTREE_TOKEN: "x" },
        "CONTREE_TOKEN and CONTREE_TOKEN_FILE are both set: keep one",
      ],
    ];
    for (const [env, message] of cases) {
      const r = await runContree(["kill", UUID], {
        home: home.path,
        env: { CONTREE_URL: emu.url, ...env },
      });
      assert.equal(r.code, 1, message);
      assert.deepEqual(lines(r.stderr), [`[ERROR] ${message}`]);
    }
    assert.equal(emu.requests.length, 0);
  }));

Deno.test("precedence: flag > environment > profile, for the token and the URL", () =>
  withEmulator(async (emu) => {
    // The profile points nowhere useful; the environment and flags fix it.
    const home = homeFor(emu, { token: "profile-token", url: "http://127.0.0.1:9" });
    const [a, b, c] = emu.seed(3).map((o) => o.uuid);
    const envOnly = await runContree(["kill", a], {
      home,
      env: { CONTREE_TOKEN: emu.token, CONTREE_URL: emu.url },
    });
    assert.equal(envOnly.code, 0, envOnly.stderr);
    const flagWins = await runContree(["--token", emu.token, "-u", emu.url, "kill", b], {
      home,
      env: { CONTREE_TOKEN: "env-token", CONTREE_URL: "http://127.0.0.1:9" },
    });
    assert.equal(flagWins.code, 0, flagWins.stderr);
    const profileOnly = await runContree(["kill", c], { home });
    assert.equal(profileOnly.code, 1); // the profile's URL and token are used: nothing listens
    assert.deepEqual(
      emu.seen("DELETE").map((r) => r.headers.authorization),
      [`Bearer ${emu.token}`, `Bearer ${emu.token}`],
    );
  }));

Deno.test("no credentials anywhere: the error says where auth.ini lives, with an example", async () => {
  using home = tempHome();
  const r = await runContree(["kill", UUID], { home: home.path });
  assert.equal(r.code, 1);
  assert.deepEqual(r.stderr.split("\n").filter(Boolean), [
    `[ERROR] Profile 'default' does not exist in ${home.path}/auth.ini: set CONTREE_URL and CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass -u and --token, or create the file, e.g.:`,
    "    [profile:default]",
    "    type = jwt",
    "    url = https://<API base URL>",
    "    token = <API token>",
  ]);
  assert.doesNotMatch(r.stderr, /contree auth|contree use/);
  const named = await runContree(["-p", "nope", "kill", UUID], {
    home: home.path,
    env: { CONTREE_URL: "http://127.0.0.1:9", CONTREE_TOKEN: "t" },
  });
  assert.equal(named.code, 1);
  assert.match(
    named.stderr,
    /^\[ERROR\] Profile 'nope' does not exist in .*auth\.ini: add it, e\.g\.:\n {4}\[profile:nope\]\n/,
  );
});

Deno.test("a JWT profile without a URL: the hint says where to put it", async () => {
  using home = tempHome([{ token: "t" }]);
  const r = await runContree(["kill", UUID], { home: home.path });
  assert.equal(r.code, 1);
  assert.deepEqual(lines(r.stderr), [
    `[ERROR] No URL configured for JWT profile 'default': add \`url = ...\` to [profile:default] in ${home.path}/auth.ini, set CONTREE_URL, or pass -u/--url`,
  ]);
});

Deno.test("a URL without a token: the per-operation error says where a token goes", () =>
  withEmulator(async (emu) => {
    using home = tempHome();
    const r = await runContree(["kill", UUID], { home: home.path, env: { CONTREE_URL: emu.url } });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      `[ERROR] Failed to cancel ${UUID}: API 0 Unauthorized: No token configured: set CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass --token, or add \`token = ...\` to the profile in auth.ini`,
    ]);
    assert.equal(emu.requests.length, 0);
  }));

Deno.test("the token from the environment is masked in debug logs", () =>
  withEmulator(async (emu) => {
    using home = tempHome();
    emu.seed(1, { status: "EXECUTING" });
    const r = await runContree(["-L", "debug", "ps"], {
      home: home.path,
      env: { CONTREE_TOKEN: emu.token, CONTREE_URL: emu.url },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes(emu.token), r.stderr);
  }));
