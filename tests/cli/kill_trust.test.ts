// Bulk cancel a person can trust (issue 13): `kill --dry-run`, --all's filters, the prompt on a
// terminal, `-` for standard input, results as data, the progress line. The real main.ts against
// the emulator; a pty (util-linux `script`) where a terminal is the point.
import assert from "node:assert/strict";
import type { Emulator } from "../emulator/server.ts";
import {
  baseEnv,
  homeFor,
  lines,
  MAIN,
  NO_CHILD_SIGNALS,
  runContree,
  type RunResult,
  RUNTIME_FLAGS,
  withEmulator,
} from "../helpers.ts";

const deleted = (emu: Emulator) => emu.seen("DELETE").map((r) => r.path.split("/").at(-1)!);
const listings = (emu: Emulator) => emu.seen("GET", "/v1/operations").filter((r) => r.search);
const jsonRows = (text: string) => lines(text).map((l) => JSON.parse(l));

/** Runs main.ts with `input` on its standard input (a pipe). */
async function runWithStdin(
  args: string[],
  input: string,
  home: string,
  env: Record<string, string> = {},
): Promise<RunResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUNTIME_FLAGS, MAIN, ...args],
    env: { ...baseEnv(home), ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const HAS_SCRIPT = (() => {
  try {
    return Deno.build.os === "linux" &&
      new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success;
  } catch {
    return false;
  }
})();

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs main.ts in a pty (stdin, stdout and stderr all the terminal) through util-linux
 * `script`, typing `input`; returns the terminal's text (stdout and stderr together).
 */
async function runInPty(
  args: string[],
  input: string,
  home: string,
  env: Record<string, string> = {},
): Promise<{ code: number; text: string }> {
  const cmd = [Deno.execPath(), "run", "--quiet", ...RUNTIME_FLAGS, MAIN, ...args].map(quote)
    .join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    env: { ...baseEnv(home), ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

// --- --dry-run ---------------------------------------------------------------------------

Deno.test("kill --all --dry-run: rows of what would be cancelled, the original's listing, no DELETE", () =>
  withEmulator(async (emu) => {
    const p = emu.seed(2, { status: "PENDING" });
    const e = emu.seed(1, { status: "EXECUTING", kind: "image_import" });
    emu.seed(2, { status: "SUCCESS" });
    const r = await runContree(["-f", "json", "kill", "--all", "--dry-run"], {
      home: homeFor(emu),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stderr), ["[INFO] Would cancel 3 operations"]);
    const rows = jsonRows(r.stdout);
    assert.deepEqual(
      rows.map((x) => Object.keys(x)),
      Array(3).fill(["uuid", "kind", "status", "created_at"]),
    );
    assert.deepEqual(
      rows.map((x) => [x.uuid, x.kind, x.status]),
      [...p.map((o) => [o.uuid, "instance", "PENDING"]), [e[0].uuid, "image_import", "EXECUTING"]]
        .sort((a, b) => (a[2] === b[2] ? b[0].localeCompare(a[0]) : 0)),
    );
    assert.equal(emu.seen("DELETE").length, 0);
    // Exactly the requests a real `kill --all` lists with.
    assert.deepEqual(
      listings(emu).map((q) => q.search),
      [
        "status=PENDING&limit=100&offset=0",
        "status=ASSIGNED&limit=100&offset=0",
        "status=EXECUTING&limit=100&offset=0",
      ].filter((s) => listings(emu).some((q) => q.search === s)),
    );
    assert.equal(listings(emu).length, 3);
  }));

Deno.test("kill --dry-run UUIDs: looked up (GET), shown as a table by default, no DELETE", () =>
  withEmulator(async (emu) => {
    const [a] = emu.seed(1, { status: "EXECUTING" });
    const missing = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
    const r = await runContree(["kill", "--dry-run", a.uuid, missing], { home: homeFor(emu) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^UUID\s+KIND\s+STATUS\s+CREATED_AT/);
    assert.match(r.stdout, new RegExp(`${a.uuid}\\s+instance\\s+EXECUTING`));
    assert.ok(r.stdout.includes(missing));
    assert.deepEqual(lines(r.stderr), [
      `[WARNING] Cannot look up operation ${missing}: API 404 Not Found: {"detail":"Operation not found"}`,
      "[INFO] Would cancel 2 operations",
    ]);
    assert.equal(emu.seen("DELETE").length, 0);
    assert.equal(emu.seen("GET").length, 2);
  }));

// --- filters -----------------------------------------------------------------------------

Deno.test("kill --all -k KIND --older-than: ps's query per active status, only matches cancelled", () =>
  withEmulator(async (emu) => {
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
    const [old] = emu.seed(1, { status: "PENDING", kind: "image_import", created_at: hoursAgo(3) });
    const [oldRunning] = emu.seed(1, {
      status: "EXECUTING",
      kind: "image_import",
      created_at: hoursAgo(5),
    });
    emu.seed(1, { status: "PENDING", kind: "image_import", created_at: hoursAgo(0.1) }); // too new
    emu.seed(1, { status: "PENDING", kind: "instance", created_at: hoursAgo(3) }); // other kind
    emu.seed(1, { status: "SUCCESS", kind: "image_import", created_at: hoursAgo(3) }); // finished
    const r = await runContree(["kill", "--all", "-k", "image_import", "--older-than", "1h"], {
      home: homeFor(emu),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(deleted(emu).sort(), [old.uuid, oldRunning.uuid].sort());
    // ps's concurrent pager: pages of 1000 from offset 0, several in flight, per status.
    const queries = listings(emu).map((q) =>
      q.search.replace(/until=[^&]+/, "until=T").replace(/offset=\d+000&/, "offset=N&")
    );
    assert.deepEqual([...new Set(queries)].sort(), [
      "status=ASSIGNED&kind=image_import&until=T&offset=0&limit=1000",
      "status=ASSIGNED&kind=image_import&until=T&offset=N&limit=1000",
      "status=EXECUTING&kind=image_import&until=T&offset=0&limit=1000",
      "status=EXECUTING&kind=image_import&until=T&offset=N&limit=1000",
      "status=PENDING&kind=image_import&until=T&offset=0&limit=1000",
      "status=PENDING&kind=image_import&until=T&offset=N&limit=1000",
    ]);
    // --older-than 1h is "until one hour ago".
    const until = Date.parse(listings(emu)[0].query.until);
    assert.ok(Math.abs(Date.now() - 3600_000 - until) < 60_000, listings(emu)[0].query.until);
  }));

Deno.test("kill --all --status P --since: one listing of that status; --dry-run shows it", () =>
  withEmulator(async (emu) => {
    emu.seed(2, { status: "PENDING" });
    emu.seed(2, { status: "EXECUTING" });
    const r = await runContree(
      ["-f", "csv", "kill", "--all", "--status", "P", "--since", "2020-01-01", "--dry-run"],
      { home: homeFor(emu) },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [...new Set(listings(emu).map((q) => q.search.replace(/offset=\d+000&/, "offset=N&")))],
      [
        "status=PENDING&since=2020-01-01T00%3A00%3A00Z&offset=0&limit=1000",
        "status=PENDING&since=2020-01-01T00%3A00%3A00Z&offset=N&limit=1000",
      ],
    );
    const out = lines(r.stdout.replaceAll("\r", ""));
    assert.equal(out[0], "uuid,kind,status,created_at");
    assert.equal(out.length, 3);
    assert.ok(out.slice(1).every((l) => l.includes(",PENDING,")));
    assert.equal(emu.seen("DELETE").length, 0);
  }));

Deno.test("kill --all -k: an operation the server lists against the filter is never cancelled", () =>
  withEmulator(async (emu) => {
    const [wanted] = emu.seed(1, { status: "PENDING", kind: "image_import" });
    const [other] = emu.seed(1, { status: "PENDING", kind: "instance" });
    // A server that ignores `kind` on the PENDING listing.
    emu.fault({
      method: "GET",
      status: 200,
      body: JSON.stringify([wanted, other].map(({ metadata: _, result: __, ...s }) => s)),
    });
    const r = await runContree(
      ["-f", "json", "kill", "--all", "--kind", "image_import", "--status", "PENDING"],
      { home: homeFor(emu) },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(deleted(emu), [wanted.uuid]);
    assert.ok(
      lines(r.stderr).includes(
        "[WARNING] Left out 1 listed operation(s) that do not match the filters (the server seems to ignore some of them)",
      ),
      r.stderr,
    );
  }));

Deno.test("kill: filters without --all are a usage mistake: exit 2, no request", () =>
  withEmulator(async (emu) => {
    const [op] = emu.seed(1);
    const r = await runContree(["kill", "-k", "instance", op.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 2);
    assert.deepEqual(lines(r.stderr), [
      "[ERROR] --kind, --status, --since, --until and --older-than choose among active operations: use them with --all",
    ]);
    assert.equal(emu.requests.length, 0);
  }));

Deno.test("kill --status accepts active statuses only; --older-than only an interval", async () => {
  for (
    const [args, message] of [
      [["--status", "S"], "argument --status: invalid choice: 'S'"],
      [["--older-than", "2025-01-01"], "argument --older-than: invalid duration: '2025-01-01'"],
    ] as const
  ) {
    const r = await runContree(["kill", "--all", ...args]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(message), r.stderr);
  }
});

// --- standard input ----------------------------------------------------------------------

Deno.test("kill -: UUIDs and references from stdin, whitespace-separated, # comments ignored", () =>
  withEmulator(async (emu) => {
    const [a, b, c] = emu.seed(3).map((o) => o.uuid);
    const r = await runWithStdin(
      ["kill", "-"],
      `# from ps -q\n${a}\n${b} ${c}  # the last two\n\n`,
      homeFor(emu),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(deleted(emu).sort(), [a, b, c].sort());
    assert.deepEqual(lines(r.stderr), [a, b, c].map((u) => `[INFO] Cancelled operation ${u}`));
  }));

Deno.test("ps -q | kill -: the pipeline of the issue works end to end", () =>
  withEmulator(async (emu) => {
    const home = homeFor(emu);
    const running = emu.seed(3, { status: "EXECUTING", kind: "image_import" });
    emu.seed(2, { status: "EXECUTING", kind: "instance" });
    const ps = await runContree(["-f", "json", "ps", "-a", "-k", "image_import"], { home });
    const uuids = jsonRows(ps.stdout).map((x) => x.uuid).join("\n");
    const r = await runWithStdin(["-f", "json", "kill", "-"], uuids, home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(deleted(emu).sort(), running.map((o) => o.uuid).sort());
    assert.deepEqual(
      jsonRows(r.stdout).map((x) => x.outcome),
      ["cancelled", "cancelled", "cancelled"],
    );
  }));

Deno.test("show - and op wait -: operations from stdin", () =>
  withEmulator(async (emu) => {
    const home = homeFor(emu);
    const [a, b] = emu.seed(2, { status: "SUCCESS" }).map((o) => o.uuid);
    const show = await runWithStdin(["-f", "json", "show", "-"], `${a}\n${b}\n`, home);
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(jsonRows(show.stdout).map((x) => x.uuid), [a, b]);
    const wait = await runWithStdin(["-f", "json", "op", "wait", "-"], `${b} # done\n`, home);
    assert.equal(wait.code, 0, wait.stderr);
    assert.deepEqual(jsonRows(wait.stdout).map((x) => x.uuid), [b]);
  }));

Deno.test("kill - with nothing on stdin is the no-UUID error, no request", () =>
  withEmulator(async (emu) => {
    const r = await runWithStdin(["kill", "-"], "# nothing\n", homeFor(emu));
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), ["[ERROR] Provide at least one UUID, or use --all"]);
    assert.equal(emu.requests.length, 0);
  }));

// --- results as data ---------------------------------------------------------------------

for (const format of ["json", "csv", "tsv", "toml", "plain", "json-pretty"]) {
  Deno.test(`kill -f ${format}: results on stdout, one per operation; logs stay on stderr`, () =>
    withEmulator(async (emu) => {
      const [ok] = emu.seed(1, { status: "EXECUTING" });
      const [done] = emu.seed(1, { status: "SUCCESS" });
      const r = await runContree(["-f", format, "kill", ok.uuid, done.uuid], {
        home: homeFor(emu),
      });
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stderr).map((l) => l.split(" ").slice(0, 3).join(" ")), [
        "[INFO] Cancelled operation",
        "[ERROR] Failed to",
      ]);
      for (const word of [ok.uuid, done.uuid, "cancelled", "already_finished", "outcome"]) {
        assert.ok(r.stdout.includes(word), `${word} in ${r.stdout}`);
      }
      if (format === "csv") {
        assert.equal(r.stdout.split("\r\n")[0], "uuid,outcome,error");
      }
    }));
}

Deno.test("kill with the default format keeps stdout empty, as the original", () =>
  withEmulator(async (emu) => {
    const [ok] = emu.seed(1, { status: "EXECUTING" });
    const r = await runContree(["kill", ok.uuid], { home: homeFor(emu) });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
  }));

Deno.test("kill -f json: outcomes cancelled, not_found, already_finished, failed", () =>
  withEmulator(async (emu) => {
    const [ok] = emu.seed(1, { status: "EXECUTING" });
    const [done] = emu.seed(1, { status: "SUCCESS" });
    const missing = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
    const r = await runContree(["-f", "json", "kill", ok.uuid, done.uuid, missing], {
      home: homeFor(emu),
    });
    assert.equal(r.code, 1);
    assert.deepEqual(jsonRows(r.stdout), [
      { uuid: ok.uuid, outcome: "cancelled", error: "" },
      {
        uuid: done.uuid,
        outcome: "already_finished",
        error: 'API 409 Conflict: {"detail":"Operation already finished"}',
      },
      {
        uuid: missing,
        outcome: "not_found",
        error: 'API 404 Not Found: {"detail":"Operation not found"}',
      },
    ]);
    // Log lines as before, on stderr only.
    assert.equal(lines(r.stderr)[0], `[INFO] Cancelled operation ${ok.uuid}`);
  }));

Deno.test({
  name: "kill -f json after Ctrl-C: rows for in-flight and not-attempted operations too",
  ignore: NO_CHILD_SIGNALS,
  fn: () =>
    withEmulator(async (emu) => {
      const ops = emu.seed(6).map((o) => o.uuid);
      emu.latencyMs = 400;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", ...RUNTIME_FLAGS, MAIN, "-f", "json", "kill", ...ops],
        env: { ...baseEnv(homeFor(emu)), CONTREE_CONCURRENCY: "1" },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await emu.waitFor("DELETE", "", 2);
      child.kill("SIGINT");
      const out = await child.output();
      assert.equal(out.code, 130);
      const rows = jsonRows(new TextDecoder().decode(out.stdout));
      assert.deepEqual(rows.map((x) => x.uuid), ops);
      const outcomes = rows.map((x) => x.outcome);
      assert.equal(outcomes[0], "cancelled");
      assert.equal(outcomes[1], "in_flight");
      assert.deepEqual(outcomes.slice(2), Array(4).fill("not_attempted"));
    }),
});

// --- on a terminal: the prompt and the progress line --------------------------------------

Deno.test({
  name: "kill --all on a terminal asks first: 'n' cancels nothing (exit 1), 'y' goes ahead",
  ignore: !HAS_SCRIPT,
  fn: () =>
    withEmulator(async (emu) => {
      const home = homeFor(emu);
      emu.seed(2, { status: "PENDING", kind: "instance" });
      emu.seed(1, { status: "EXECUTING", kind: "image_import" });
      const no = await runInPty(["kill", "--all"], "n\n", home);
      assert.equal(no.code, 1, no.text);
      assert.match(
        no.text,
        /Cancel 3 active operations \(kinds: instance: 2, image_import: 1\)\? \[y\/N\] /,
      );
      assert.match(no.text, /\[WARNING\] Not confirmed: nothing cancelled/);
      assert.equal(emu.seen("DELETE").length, 0);
      const yes = await runInPty(["kill", "--all"], "yes\n", home);
      assert.equal(yes.code, 0, yes.text);
      assert.equal(emu.seen("DELETE").length, 3);
    }),
});

Deno.test({
  name: "kill --all -y on a terminal, and any kill off a terminal, never ask",
  ignore: !HAS_SCRIPT,
  fn: () =>
    withEmulator(async (emu) => {
      const home = homeFor(emu);
      emu.seed(2, { status: "PENDING" });
      const r = await runInPty(["kill", "--all", "-y"], "", home);
      assert.equal(r.code, 0, r.text);
      assert.doesNotMatch(r.text, /\[y\/N\]/);
      assert.equal(emu.seen("DELETE").length, 2);
      emu.seed(2, { status: "PENDING" });
      const piped = await runWithStdin(["kill", "--all"], "n\n", home);
      assert.equal(piped.code, 0, piped.stderr);
      assert.doesNotMatch(piped.stderr, /\[y\/N\]/);
      assert.equal(emu.seen("DELETE").length, 4);
    }),
});

Deno.test({
  name: "kill of more than 20 on a terminal: one live progress line and a summary, no scrolling",
  ignore: !HAS_SCRIPT,
  fn: () =>
    withEmulator(async (emu) => {
      const home = homeFor(emu);
      emu.seed(23, { status: "EXECUTING" });
      const [done] = emu.seed(1, { status: "SUCCESS" });
      const uuids = [...emu.ops.keys()];
      const r = await runInPty(["kill", ...uuids], "", home);
      assert.equal(r.code, 1, r.text);
      assert.ok(r.text.includes("\r\x1b[2KCancelling "), JSON.stringify(r.text));
      assert.match(r.text, /Cancelling 24\/24 \(100%\) \| [\d.]+\/s \| 1 not cancelled \| ETA 0 s/);
      assert.match(r.text, /\[INFO\] Cancelled 23 of 24: 1 already finished \(\d+\.\d s\)/);
      assert.ok(r.text.includes(`[ERROR] Failed to cancel ${done.uuid}`));
      assert.doesNotMatch(r.text, /Cancelled operation /);
      assert.equal(emu.seen("DELETE").length, 24);
      // Off a terminal the original's lines scroll, no progress line, no summary.
      emu.seed(21, { status: "EXECUTING" });
      const piped = await runContree(["kill", "--all"], { home });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(lines(piped.stderr).length, 21);
      assert.doesNotMatch(piped.stderr, /Cancelling/);
      assert.ok(!piped.stderr.includes("\x1b"), piped.stderr);
    }),
});

Deno.test({
  name: "kill -f json on a terminal: rows only, no progress line",
  ignore: !HAS_SCRIPT,
  fn: () =>
    withEmulator(async (emu) => {
      const uuids = emu.seed(22, { status: "EXECUTING" }).map((o) => o.uuid);
      const r = await runInPty(["-f", "json", "kill", ...uuids], "", homeFor(emu));
      assert.equal(r.code, 0, r.text);
      assert.doesNotMatch(r.text, /Cancelling /);
      assert.equal((r.text.match(/"outcome": "cancelled"/g) ?? []).length, 22);
    }),
});

Deno.test("kill: a format from cli.ini alone keeps stdout empty, as the original; -f writes rows", () =>
  withEmulator(async (emu) => {
    const [a, b] = emu.seed(2).map((o) => o.uuid);
    const home = homeFor(emu);
    Deno.writeTextFileSync(`${home}/cli.ini`, "[cli]\noutput_format = json\n");
    const quiet = await runContree(["kill", a], { home });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, "");
    assert.equal(quiet.stderr, `[INFO] Cancelled operation ${a}\n`);
    const rows = await runContree(["-f", "json", "kill", b], { home });
    assert.equal(rows.code, 0, rows.stderr);
    assert.deepEqual(JSON.parse(rows.stdout), { uuid: b, outcome: "cancelled", error: "" });
  }));
