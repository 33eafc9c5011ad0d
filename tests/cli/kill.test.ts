// End-to-end tests of `contree kill` / `contree op cancel`: the real main.ts against the emulator.
import assert from "node:assert/strict";
import type { Emulator } from "../emulator/server.ts";
import {
  CONCURRENCY_CASES,
  homeFor,
  lines,
  NO_CHILD_SIGNALS,
  runContree,
  spawnContree,
  tempHome,
  withEmulator,
} from "../helpers.ts";

const deletedPaths = (emu: Emulator) => emu.seen("DELETE").map((r) => r.path);

for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`kill: several UUIDs, some joined by whitespace in one argument, one DELETE each in order (${name})`, () =>
    withEmulator(async (emu) => {
      const [a, b, c] = emu.seed(3).map((o) => o.uuid);
      const r = await runContree(["kill", a, `${b} \t${c}\n`], { home: homeFor(emu), env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "");
      assert.deepEqual(lines(r.stderr), [a, b, c].map((u) => `[INFO] Cancelled operation ${u}`));
      const paths = deletedPaths(emu);
      // In flight together the arrival order is the network's; one at a time it is the input's.
      assert.deepEqual(
        env.CONTREE_CONCURRENCY === "1" ? paths : paths.sort(),
        (env.CONTREE_CONCURRENCY === "1" ? [a, b, c] : [a, b, c].sort()).map((u) =>
          `/v1/operations/${u}`
        ),
      );
    }));
}

Deno.test("op cancel, op kill, op k and operation cancel all cancel through the same handler", () =>
  withEmulator(async (emu) => {
    for (const words of [["op", "cancel"], ["op", "kill"], ["op", "k"], ["operation", "cancel"]]) {
      const [op] = emu.seed(1);
      const r = await runContree([...words, op.uuid], { home: homeFor(emu) });
      assert.equal(r.code, 0, `${words.join(" ")}: ${r.stderr}`);
      assert.deepEqual(lines(r.stderr), [`[INFO] Cancelled operation ${op.uuid}`]);
    }
    assert.equal(emu.seen("DELETE").length, 4);
  }));

Deno.test("kill: UUIDs in any accepted form are sent canonical (lower case, hyphenated)", () =>
  withEmulator(async (emu) => {
    const [a, b, c] = emu.seed(3).map((o) => o.uuid);
    const r = await runContree(
      ["kill", a.toUpperCase(), `{${b.replaceAll("-", "")}}`, `urn:uuid:${c}`],
      { home: homeFor(emu) },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(deletedPaths(emu), [a, b, c].map((u) => `/v1/operations/${u}`));
  }));

for (const concurrency of ["1", "8"]) {
  Deno.test(`kill: one operation in several spellings is one DELETE, with a WARNING (concurrency ${concurrency})`, () =>
    withEmulator(async (emu) => {
      const [a, b] = emu.seed(2).map((o) => o.uuid);
      const r = await runContree(
        [
          "kill",
          a,
          b.toUpperCase(),
          `{${a.toUpperCase()}}`,
          `urn:uuid:${a}`,
          a.replaceAll("-", ""),
          b,
        ],
        { home: homeFor(emu), env: { CONTREE_CONCURRENCY: concurrency } },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stderr), [
        `[WARNING] Operation ${a} given more than once; acting on it once`,
        `[WARNING] Operation ${b} given more than once; acting on it once`,
        `[INFO] Cancelled operation ${a}`,
        `[INFO] Cancelled operation ${b}`,
      ]);
      assert.deepEqual(deletedPaths(emu).sort(), [a, b].map((u) => `/v1/operations/${u}`).sort());
    }));
}

Deno.test("kill: invalid tokens are reported together in one line and nothing is sent", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    const one = await runContree(["kill", "abc", a], { home: homeFor(emu) });
    assert.equal(one.code, 1);
    assert.deepEqual(lines(one.stderr), ["[ERROR] Invalid operation reference: abc"]);
    const two = await runContree(["kill", "abc", a, "def"], { home: homeFor(emu) });
    assert.equal(two.code, 1);
    assert.deepEqual(lines(two.stderr), ["[ERROR] Invalid operation references: abc def"]);
    const withAll = await runContree(["kill", "--all", "nope"], { home: homeFor(emu) });
    assert.equal(withAll.code, 1);
    assert.deepEqual(lines(withAll.stderr), ["[ERROR] Invalid operation reference: nope"]);
    assert.equal(emu.requests.length, 0);
  }));

// At concurrency 1 a loop that stopped at the first failure would never send the last DELETEs;
// at the default (8) all four are in flight before any answer, so only the first run shows it.
for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`kill: 404 and 409 are per-operation failures; the rest continue; exit 1 (${name})`, () =>
    withEmulator(async (emu) => {
      const [a] = emu.seed(1).map((o) => o.uuid);
      const [done] = emu.seed(1, { status: "SUCCESS" }).map((o) => o.uuid);
      const missing = "019e3fb6-e447-760d-b7ab-62ef51f91b1f";
      const [c, d] = emu.seed(2).map((o) => o.uuid);
      const r = await runContree(["kill", a, missing, done, c, d], { home: homeFor(emu), env });
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.deepEqual(lines(r.stderr), [
        `[INFO] Cancelled operation ${a}`,
        `[ERROR] Failed to cancel ${missing}: API 404 Not Found: {"detail":"Operation not found"}`,
        `[ERROR] Failed to cancel ${done}: API 409 Conflict: {"detail":"Operation already finished"}`,
        `[INFO] Cancelled operation ${c}`,
        `[INFO] Cancelled operation ${d}`,
      ]);
      assert.deepEqual(
        deletedPaths(emu).sort(),
        [a, missing, done, c, d].sort().map((u) => `/v1/operations/${u}`),
      );
      assert.deepEqual([c, d].map((u) => emu.ops.get(u)!.status), ["CANCELLED", "CANCELLED"]);
    }));
}

Deno.test("kill: 5xx answers are retried with the original's delays and warnings", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    emu.fault({ status: 500 });
    emu.fault({ status: 503 });
    // The real schedule (1 s, then 2 s), not the fast one the other tests use.
    const r = await runContree(["kill", op.uuid], {
      home: homeFor(emu),
      env: { CONTREE_RETRY_DELAYS: "1,2,4,5,10,10,10" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] Server error 500, retrying in 1s…",
      "[WARNING] Server error 503, retrying in 2s…",
      `[INFO] Cancelled operation ${op.uuid}`,
    ]);
    assert.deepEqual(emu.seen("DELETE").map((q) => q.status), [500, 503, 202]);
  }));

Deno.test("kill: a 5xx that never ends fails that operation after 8 attempts", () =>
  withEmulator(async (emu) => {
    const [a, b] = emu.seed(2).map((o) => o.uuid);
    emu.fault({ status: 502, times: 8, body: "bad gateway" });
    const r = await runContree(["kill", a, b], {
      home: homeFor(emu),
      env: { CONTREE_CONCURRENCY: "1" },
    });
    assert.equal(r.code, 1);
    const out = lines(r.stderr);
    assert.equal(out.filter((l) => l.startsWith("[WARNING] Server error 502")).length, 7);
    assert.ok(out.includes(`[ERROR] Failed to cancel ${a}: API 502 Bad Gateway: bad gateway`));
    assert.equal(out.at(-1), `[INFO] Cancelled operation ${b}`);
    assert.equal(emu.seen("DELETE").length, 9);
  }));

Deno.test("kill: 429 is retried after the server's Retry-After", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    emu.fault({ status: 429, headers: { "retry-after": "1" } });
    // The fast retry schedule (0.01 s) is in force: only the header can make it wait 1 s.
    const r = await runContree(["kill", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] Rate limited (429), retrying in 1s…",
      `[INFO] Cancelled operation ${op.uuid}`,
    ]);
    const [limited, retried] = emu.seen("DELETE");
    assert.deepEqual([limited.status, retried.status], [429, 202]);
    assert.deepEqual([limited.path, retried.path], [1, 2].map(() => `/v1/operations/${op.uuid}`));
    // A lower bound, not a performance bound: the retry must not come before Retry-After.
    const gap = retried.at - limited.at;
    assert.ok(gap >= 950, `retried ${gap.toFixed(0)} ms after the 429, Retry-After was 1 s`);
    assert.equal(emu.ops.get(op.uuid)!.status, "CANCELLED");
  }));

Deno.test("kill: a dropped connection is retried as a network error", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    emu.fault({ close: true });
    const r = await runContree(["kill", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stderr);
    assert.match(out[0], /^\[WARNING\] Network error \(\w+\), retrying in 0\.01s…$/);
    assert.equal(out[1], `[INFO] Cancelled operation ${op.uuid}`);
    assert.equal(emu.seen("DELETE").length, 2);
  }));

Deno.test("kill: an unreachable API is a network error after the retries, exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now: connection refused
  using homeDir = tempHome([{ token: "t", url: `http://127.0.0.1:${port}` }]);
  const home = homeDir.path;
  const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
  const r = await runContree(["kill", uuid], { home });
  assert.equal(r.code, 1);
  const out = lines(r.stderr);
  const warnings = out.filter((l) =>
    l.startsWith("[WARNING] Network error (ConnectionRefusedError)")
  );
  assert.equal(warnings.length, 7);
  assert.match(
    out.find((l) => l.startsWith("[ERROR]"))!,
    new RegExp(
      `^\\[ERROR\\] Network error: Connection refused \\(DELETE .*/v1/operations/${uuid}\\)$`,
    ),
  );
});

for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`kill: a request that times out is not retried and ends the command (${name})`, () =>
    withEmulator(async (emu) => {
      const [a, b, c] = emu.seed(3).map((o) => o.uuid);
      emu.fault({ delayMs: 2000 });
      const r = await runContree(["kill", a, b, c], {
        home: homeFor(emu),
        env: { CONTREE_TIMEOUT: "0.3", ...env },
      });
      assert.equal(r.code, 1);
      const timedOut = `Request timed out: DELETE /v1/operations/${a}`;
      if (env.CONTREE_CONCURRENCY === "1") {
        // One at a time: nothing after the timed-out DELETE is sent.
        assert.deepEqual(lines(r.stderr), [
          "[WARNING] Stopped early: 0 cancelled, 1 failed, 2 not attempted",
          `[WARNING] Not cancelled: ${a} ${b} ${c}`,
          `[ERROR] Network error: ${timedOut}`,
        ]);
        assert.deepEqual(deletedPaths(emu), [`/v1/operations/${a}`]);
      } else {
        // All three were in flight: the other two landed; only the timed-out one is left.
        assert.deepEqual(lines(r.stderr), [
          `[INFO] Cancelled operation ${b}`,
          `[INFO] Cancelled operation ${c}`,
          "[WARNING] Stopped early: 2 cancelled, 1 failed, 0 not attempted",
          `[WARNING] Not cancelled: ${a}`,
          `[ERROR] Network error: ${timedOut}`,
        ]);
        assert.deepEqual(deletedPaths(emu).length, 3);
      }
      assert.equal(r.stdout, "");
    }));
}

for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`kill --all: pages through every active status and cancels only active operations (${name})`, () =>
    withEmulator(async (emu) => {
      const pending = emu.seed(230, { status: "PENDING" }).map((o) => o.uuid);
      const assigned = emu.seed(100, { status: "ASSIGNED" }).map((o) => o.uuid);
      const executing = emu.seed(5, { status: "EXECUTING" }).map((o) => o.uuid);
      emu.seed(50, { status: "SUCCESS" });
      emu.seed(10, { status: "FAILED" });
      const r = await runContree(["kill", "--all"], { home: homeFor(emu), env });
      assert.equal(r.code, 0, r.stderr.slice(0, 500));
      const lists = emu.seen("GET", "/v1/operations").map((q) => q.search).sort();
      assert.deepEqual(lists, [
        "status=ASSIGNED&limit=100&offset=0",
        "status=ASSIGNED&limit=100&offset=100",
        "status=EXECUTING&limit=100&offset=0",
        "status=PENDING&limit=100&offset=0",
        "status=PENDING&limit=100&offset=100",
        "status=PENDING&limit=100&offset=200",
      ]);
      // Input order of the log: PENDING, then ASSIGNED, then EXECUTING (server order within each).
      const newestFirst = (xs: string[]) => [...xs].reverse();
      const expected = [
        ...newestFirst(pending),
        ...newestFirst(assigned),
        ...newestFirst(executing),
      ];
      assert.deepEqual(lines(r.stderr), expected.map((u) => `[INFO] Cancelled operation ${u}`));
      assert.equal(emu.seen("DELETE").length, 335);
      const statuses = [...emu.ops.values()].map((o) => o.status);
      assert.equal(statuses.filter((s) => s === "CANCELLED").length, 335);
      assert.equal(statuses.filter((s) => s === "SUCCESS").length, 50);
    }));
}

for (const { name, env } of CONCURRENCY_CASES) {
  Deno.test(`kill --all: an operation listed under two statuses is cancelled once (${name})`, () =>
    withEmulator(async (emu) => {
      const [p, moving, e] = [
        emu.add({ status: "PENDING" }),
        emu.add({ status: "PENDING" }),
        emu.add({ status: "EXECUTING" }),
      ].map((o) => o.uuid);
      emu.alsoListAs(moving, "EXECUTING"); // it moved on while the statuses were listed
      const r = await runContree(["kill", "--all"], { home: homeFor(emu), env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "");
      // Status order, then server order (newest first); the mover only where first listed.
      assert.deepEqual(lines(r.stderr), [
        `[INFO] Cancelled operation ${moving}`,
        `[INFO] Cancelled operation ${p}`,
        `[INFO] Cancelled operation ${e}`,
      ]);
      assert.deepEqual(
        deletedPaths(emu).sort(),
        [p, moving, e].sort().map((u) => `/v1/operations/${u}`),
      );
    }));
}

Deno.test("kill --all with UUIDs warns and ignores the UUIDs", () =>
  withEmulator(async (emu) => {
    const [active] = emu.seed(1, { status: "PENDING" }).map((o) => o.uuid);
    const [ignored] = emu.seed(1, { status: "SUCCESS" }).map((o) => o.uuid);
    const r = await runContree(["op", "cancel", ignored, "-a"], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      "[WARNING] --all overrides explicit UUIDs; cancelling all active",
      `[INFO] Cancelled operation ${active}`,
    ]);
    assert.deepEqual(deletedPaths(emu), [`/v1/operations/${active}`]);
  }));

Deno.test("kill --all with nothing active: three list requests, INFO line, exit 0", () =>
  withEmulator(async (emu) => {
    emu.seed(3, { status: "CANCELLED" });
    const r = await runContree(["kill", "--all"], { home: homeFor(emu) });
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.stderr), ["[INFO] No active operations to cancel"]);
    assert.equal(emu.seen("GET").length, 3);
    assert.equal(emu.seen("DELETE").length, 0);
  }));

Deno.test("kill --all: an API error while listing aborts before any DELETE", () =>
  withEmulator(async (emu) => {
    emu.seed(2, { status: "PENDING" });
    emu.fault({ status: 403, body: "forbidden", times: 3 });
    const r = await runContree(["kill", "--all"], { home: homeFor(emu) });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), ["[ERROR] API 403 Forbidden: forbidden"]);
    assert.equal(emu.seen("DELETE").length, 0);
  }));

Deno.test("kill without UUIDs or --all: ERROR line, exit 1, no request", () =>
  withEmulator(async (emu) => {
    const r = await runContree(["kill"], { home: homeFor(emu) });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), ["[ERROR] Provide at least one UUID, or use --all"]);
    assert.equal(emu.requests.length, 0);
  }));

Deno.test("IAM profiles send Bearer and Project; JWT profiles send no Project", () =>
  withEmulator(async (emu) => {
    const [a, b] = emu.seed(2).map((o) => o.uuid);
    const iam = homeFor(emu, { type: "iam", project: "aiproject-xyz" });
    const r1 = await runContree(["kill", a], { home: iam });
    assert.equal(r1.code, 0, r1.stderr);
    // JWT: a -P flag does not add the header, so this emulator (which demands it) says 401.
    const r2 = await runContree(["-P", "aiproject-xyz", "kill", b], { home: homeFor(emu) });
    assert.equal(r2.code, 1);
    assert.deepEqual(lines(r2.stderr), [
      `[ERROR] Failed to cancel ${b}: API 401 Unauthorized: {"detail":"Unauthorized"}`,
    ]);
    const [first, second] = emu.seen("DELETE");
    assert.equal(first.headers["authorization"], `Bearer ${emu.token}`);
    assert.equal(first.headers["project"], "aiproject-xyz");
    assert.match(first.headers["user-agent"], /^contree-cli\/\S+ Deno\/\S+ \S+-\S+$/);
    assert.equal(second.headers["project"], undefined);
  }, { project: "aiproject-xyz" }));

Deno.test("IAM profile without a project: per-operation local error, nothing sent", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    const r = await runContree(["kill", a], { home: homeFor(emu, { type: "iam" }) });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      `[ERROR] Failed to cancel ${a}: API 0 No project: No project configured: pass -P/--project or add \`project = ...\` to the profile in auth.ini`,
    ]);
    assert.equal(emu.requests.length, 0);
  }));

Deno.test("a path prefix in the URL prefixes every request", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    using homeDir = tempHome([{ token: emu.token, url: `${emu.url}/` }]); // trailing slash too
    const home = homeDir.path;
    const r = await runContree(["kill", a], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(deletedPaths(emu), [`/api/v1/operations/${a}`]);
  }, { prefix: "/api" }));

Deno.test("global flags override the profile; -p and CONTREE_PROFILE pick profiles", () =>
  withEmulator(async (emu) => {
    const [a, b, c] = emu.seed(3).map((o) => o.uuid);
    using homeDir = tempHome([
      { name: "default", token: "wrong", url: "http://127.0.0.1:9" },
      { name: "good", token: emu.token, url: emu.url },
    ]);
    const home = homeDir.path;
    const viaFlags = await runContree(["--token", emu.token, "-u", emu.url, "kill", a], { home });
    assert.equal(viaFlags.code, 0, viaFlags.stderr);
    const viaProfile = await runContree(["-p", "good", "kill", b], { home });
    assert.equal(viaProfile.code, 0, viaProfile.stderr);
    const viaEnv = await runContree(["kill", c], { home, env: { CONTREE_PROFILE: "good" } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(emu.seen("DELETE").length, 3);
  }));

Deno.test("config problems are one-line errors with exit 1", async () => {
  const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
  using emptyDir = tempHome();
  const empty = emptyDir.path;
  const noProfile = await runContree(["kill", uuid], { home: empty });
  assert.equal(noProfile.code, 1);
  assert.deepEqual(lines(noProfile.stderr), [
    `[ERROR] Profile 'default' does not exist in ${empty}/auth.ini: set CONTREE_URL and CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass -u and --token, or create the file, e.g.:`,
    "    [profile:default]",
    "    type = jwt",
    "    url = https://<API base URL>",
    "    token = <API token>",
  ]);
  const unknown = await runContree(["-p", "nope", "kill", uuid], { home: empty });
  assert.deepEqual(lines(unknown.stderr), [
    `[ERROR] Profile 'nope' does not exist in ${empty}/auth.ini: add it, e.g.:`,
    "    [profile:nope]",
    "    type = jwt",
    "    url = https://<API base URL>",
    "    token = <API token>",
  ]);
  using noUrlDir = tempHome([{ token: "t" }]);
  const noUrl = noUrlDir.path;
  const r3 = await runContree(["kill", uuid], { home: noUrl });
  assert.equal(r3.code, 1);
  assert.deepEqual(lines(r3.stderr), [
    `[ERROR] No URL configured for JWT profile 'default': add \`url = ...\` to [profile:default] in ${noUrl}/auth.ini, set CONTREE_URL, or pass -u/--url`,
  ]);
  using brokenDir = tempHome();
  const broken = brokenDir.path;
  Deno.writeTextFileSync(`${broken}/auth.ini`, "token = x\n[profile:default]\nurl = http://h\n");
  const r4 = await runContree(["kill", uuid], { home: broken });
  assert.equal(r4.code, 1);
  assert.deepEqual(lines(r4.stderr), [
    `[ERROR] Invalid config file ${broken}/auth.ini, line 1: file contains no section headers`,
  ]);
  const r5 = await runContree(["-c", `${empty}/missing.ini`, "kill", uuid], { home: empty });
  assert.deepEqual(lines(r5.stderr), [`[ERROR] Config file not found: ${empty}/missing.ini`]);
  Deno.mkdirSync(`${empty}/cli.ini`);
  const r6 = await runContree(["kill", uuid], { home: empty });
  assert.equal(r6.code, 1);
  assert.deepEqual(lines(r6.stderr), [
    `[ERROR] Cannot read config file ${empty}/cli.ini: is a directory`,
  ]);
  for (const r of [noProfile, unknown, r3, r4, r5, r6]) assert.equal(r.stdout, "");
});

Deno.test("cli.ini merges under auth.ini and its [cli] section sets flag defaults", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    using homeDir = tempHome([{ token: emu.token }]); // url only in cli.ini
    const home = homeDir.path;
    Deno.writeTextFileSync(
      `${home}/cli.ini`,
      `[cli]\nlog_level = warning\n\n[profile:default]\nurl = ${emu.url}\ntoken = overridden\n`,
    );
    const r = await runContree(["kill", a], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, ""); // INFO suppressed by the [cli] log_level
    assert.equal(emu.seen("DELETE")[0].headers["authorization"], `Bearer ${emu.token}`);
  }));

Deno.test("the token never appears in any output, even at debug level or echoed by the server", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    emu.fault({ status: 400, body: `{"detail": "bad token ${emu.token}"}` });
    const [b] = emu.seed(1).map((o) => o.uuid);
    const r = await runContree(["-L", "debug", "kill", a, b], {
      home: homeFor(emu),
      env: { CONTREE_CONCURRENCY: "1" },
    });
    assert.equal(r.code, 1);
    assert.ok(!r.stderr.includes(emu.token) && !r.stdout.includes(emu.token), r.stderr);
    assert.match(r.stderr, /'authorization': '<redacted>'/);
    assert.match(r.stderr, /\[DEBUG\] DELETE \/v1\/operations\/\S+ -> 202 Accepted/);
    assert.ok(
      lines(r.stderr).includes(
        `[ERROR] Failed to cancel ${a}: API 400 Bad Request: {"detail": "bad token ***"}`,
      ),
    );
  }, { token: "s3cr3t-t0ken-value" }));

Deno.test("-L warning silences INFO; -L error keeps errors", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    const quiet = await runContree(["-L", "warning", "kill", a], { home: homeFor(emu) });
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, "");
    const err = await runContree(["--log-level", "error", "kill"], { home: homeFor(emu) });
    assert.deepEqual(lines(err.stderr), ["[ERROR] Provide at least one UUID, or use --all"]);
  }));

Deno.test({
  name: "Ctrl-C mid-bulk: in-flight DELETEs are aborted and listed with the rest, exit 130",
  ignore: NO_CHILD_SIGNALS,
}, () =>
  withEmulator(async (emu) => {
    const uuids = emu.seed(40, { status: "PENDING" }).map((o) => o.uuid);
    emu.latencyMs = 150;
    const child = spawnContree(["kill", ...uuids], {
      home: homeFor(emu),
      env: { CONTREE_CONCURRENCY: "2" },
    });
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let stderr = "";
    while (!stderr.includes("Cancelled operation")) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    // From now on a DELETE takes 10 s: those in flight at Ctrl-C must be aborted, not awaited.
    emu.latencyMs = 10_000;
    await emu.waitFor("DELETE", "", emu.seen("DELETE").length + 2);
    const signalled = performance.now();
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    const { code } = await child.status;
    const ms = performance.now() - signalled;
    await child.stdout.cancel();
    assert.equal(code, 130, stderr);
    assert.ok(ms < 3000, `exited ${ms.toFixed(0)} ms after SIGINT`);
    const out = lines(stderr);
    assert.equal(out.at(-1), "[ERROR] User interrupted");
    const cancelled = out.filter((l) => l.startsWith("[INFO] Cancelled operation ")).map((l) =>
      l.split(" ").at(-1)!
    );
    const unknown = out.filter((l) => l.endsWith(": unknown: in flight when interrupted")).map(
      (l) => l.split(" ")[2].replace(/:$/, ""),
    );
    const notCancelled = out.find((l) => l.startsWith("[WARNING] Not cancelled: "))!.split(": ")[1]
      .split(" ");
    // Nothing lost: every UUID is either reported cancelled or listed as not cancelled, and the
    // ones in flight are among the not cancelled (safe to run again).
    assert.deepEqual([...cancelled, ...notCancelled], uuids);
    assert.ok(unknown.length >= 1 && unknown.length <= 2, stderr);
    assert.deepEqual(notCancelled.slice(0, unknown.length), unknown);
    // Every DELETE sent was either answered (cancelled) or reported unknown.
    const sent = emu.seen("DELETE").map((q) => q.path.split("/").at(-1)!);
    assert.deepEqual(sent.sort(), [...cancelled, ...unknown].sort());
    assert.ok(
      out.some((l) =>
        /^\[WARNING\] Stopped early: \d+ cancelled, 0 failed, \d unknown \(in flight when interrupted\), \d+ not attempted$/
          .test(l)
      ),
    );
  }));

Deno.test("kill --all: garbage from the server is a one-line error, exit 1, no DELETE", () =>
  withEmulator(async (emu) => {
    emu.seed(2, { status: "PENDING" });
    emu.fault({ status: 200, body: "<html>oops</html>" });
    const html = await runContree(["kill", "--all"], { home: homeFor(emu) });
    assert.equal(html.code, 1);
    assert.match(
      lines(html.stderr)[0],
      /^\[ERROR\] Malformed response from GET \/v1\/operations\?status=\w+&limit=100&offset=0: not JSON: "<html>oops<\/html>"$/,
    );
    emu.fault({ status: 200, body: '{"items": []}' });
    const shape = await runContree(["kill", "--all"], { home: homeFor(emu) });
    assert.equal(shape.code, 1);
    assert.deepEqual(lines(shape.stderr), [
      "[ERROR] Malformed response from GET /v1/operations: expected a JSON array",
    ]);
    assert.equal(emu.seen("DELETE").length, 0);
    // The emulator's own list shape `{"operations": [...]}` is accepted (decisions §14).
    emu.fault({ status: 200, body: JSON.stringify({ operations: [] }) });
    const wrapped = await runContree(["kill", "--all"], { home: homeFor(emu) });
    assert.equal(wrapped.code, 0, wrapped.stderr);
  }));

Deno.test("a broken cli.ini is a one-line error, exit 1", async () => {
  using homeDir = tempHome([{ token: "t", url: "http://127.0.0.1:9" }]);
  const home = homeDir.path;
  Deno.writeTextFileSync(`${home}/cli.ini`, "[cli\nlog_level = debug\n");
  const r = await runContree(["kill", "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"], { home });
  assert.equal(r.code, 1);
  assert.deepEqual(lines(r.stderr), [
    `[ERROR] Invalid config file ${home}/cli.ini, line 1: file contains no section headers`,
  ]);
  Deno.writeTextFileSync(`${home}/cli.ini`, "[cli]\nlog_level = loud\n");
  const level = await runContree(["kill", "x"], { home });
  assert.equal(level.code, 1);
  assert.deepEqual(lines(level.stderr), [`[ERROR] Invalid log_level 'loud' in ${home}/cli.ini`]);
});

Deno.test("bad numeric settings in the environment are one-line errors, exit 1, nothing sent", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1).map((o) => o.uuid);
    const cases: [Record<string, string>, string][] = [
      [{ CONTREE_CONCURRENCY: "0" }, "CONTREE_CONCURRENCY must be an integer >= 1, got '0'"],
      [{ CONTREE_CONCURRENCY: "2.5" }, "CONTREE_CONCURRENCY must be an integer >= 1, got '2.5'"],
      [{ CONTREE_TIMEOUT: "0" }, "CONTREE_TIMEOUT must be a number of seconds > 0, got '0'"],
      // Above the platform timer's 2^31 ms: refused, never an overflowed (1 ms) timer.
      [
        { CONTREE_TIMEOUT: "3000000" },
        "CONTREE_TIMEOUT must be a number of seconds <= 2147483, got '3000000'",
      ],
      [
        { CONTREE_MAX_RESPONSE_BYTES: "64MiB" },
        "CONTREE_MAX_RESPONSE_BYTES must be an integer >= 1, got '64MiB'",
      ],
      [
        { CONTREE_RETRY_DELAYS: "1,x" },
        "CONTREE_RETRY_DELAYS must be comma-separated seconds, got '1,x'",
      ],
    ];
    for (const [env, message] of cases) {
      const r = await runContree(["kill", a], { home: homeFor(emu), env });
      assert.equal(r.code, 1, JSON.stringify(env));
      assert.deepEqual(lines(r.stderr), [`[ERROR] ${message}`]);
    }
    assert.equal(emu.requests.length, 0);
  }));
