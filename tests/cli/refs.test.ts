// Session-history references end to end: the real main.ts resolves `kill`/`op cancel` arguments
// against session databases built with the original's schema, and the emulator records which
// operations were actually cancelled.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { deriveSessionKey } from "../../lib/session/session.ts";
import { sessionDbPath } from "../../lib/session/schema.ts";
import { type Emulator, startEmulator } from "../emulator/server.ts";
import { homeFor, lines, runContree, type RunResult, tempDir } from "../helpers.ts";
import { OPS, SessionDb } from "../session_db.ts";

const { A, B, C, D, E } = OPS;

/** A CLI run against a fresh emulator holding operations A–E and a fresh CONTREE_HOME. */
interface Scene {
  emu: Emulator;
  home: string;
  db: string;
  run(args: string[], env?: Record<string, string>, cwd?: string): Promise<RunResult>;
  deleted(): string[];
}

/**
 * Session `s1`: 1 `use` ← 2 run A ← 3 run B ← 4 run C, rolled back to 3 (tip 3, child 4).
 * Session `s2`: 5 run D. Session `fresh`: 6 `use` only.
 */
function standardHistory(db: SessionDb): void {
  db.linear("s1", ["", A, B, C]);
  db.tip("s1", 3);
  db.linear("s2", [D]);
  db.linear("fresh", [""]);
}

async function withScene(
  fn: (s: Scene) => Promise<void>,
  build: ((db: SessionDb) => void) | null = standardHistory,
): Promise<void> {
  await using emu = await startEmulator();
  try {
    for (const uuid of Object.values(OPS)) emu.add({ uuid });
    const home = homeFor(emu);
    const db = sessionDbPath(home, "default", {});
    if (build) {
      const fixture = SessionDb.create(db);
      build(fixture);
      fixture.close();
    }
    await fn({
      emu,
      home,
      db,
      run: (args, env, cwd) => runContree(args, { home, env, cwd }),
      deleted: () => emu.seen("DELETE").map((r) => r.path.replace("/v1/operations/", "")),
    });
  } finally {
    await emu.close();
  }
}

/** Forms and what they resolve to in `s1` of {@link standardHistory}. */
const FORMS: [string, string][] = [
  ["@", B],
  [":", B],
  ["HEAD", B],
  ["@2", A],
  [":2", A],
  ["2", A],
  ["HEAD2", A],
  ["@-1", A],
  [":-1", A],
  ["HEAD~1", A],
  ["HEAD~", A],
  ["HEAD-1", A],
  ["@+1", C],
  [":+1", C],
  ["HEAD+1", C],
  ["@5", D],
];

Deno.test("kill -S: every reference form cancels the operation it names", async () => {
  await Promise.all(FORMS.map(([form, uuid]) =>
    withScene(async (s) => {
      const r = await s.run(["-S", "s1", "kill", form]);
      assert.equal(r.code, 0, `${form}: ${r.stderr}`);
      assert.deepEqual(lines(r.stderr), [`[INFO] Cancelled operation ${uuid}`], form);
      assert.deepEqual(s.deleted(), [uuid], form);
    })
  ));
});

Deno.test("op cancel with CONTREE_SESSION: every reference form cancels the operation it names", async () => {
  await Promise.all(FORMS.map(([form, uuid]) =>
    withScene(async (s) => {
      const r = await s.run(["op", "cancel", form], { CONTREE_SESSION: "s1" });
      assert.equal(r.code, 0, `${form}: ${r.stderr}`);
      assert.deepEqual(s.deleted(), [uuid], form);
    })
  ));
});

Deno.test("references, literals and joined arguments mix; -S wins over CONTREE_SESSION", () =>
  withScene(async (s) => {
    const r = await s.run(["-S", "s1", "kill", "HEAD @-1", E.toUpperCase(), ":+1"], {
      CONTREE_SESSION: "s2",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.deleted(), [B, A, E, C]);
  }));

Deno.test("without -S or CONTREE_SESSION the original's derived key is used", () =>
  withScene(async (s) => {
    // Our spawned CLI's parent is this test process; its stdin is not a terminal.
    using cwdDir = tempDir("myproj-");
    const cwd = cwdDir.path;
    const key = await deriveSessionKey("default", cwd, { ppid: Deno.pid, tty: undefined });
    const db = SessionDb.create(s.db);
    db.linear(key, [E]);
    db.close();
    const r = await s.run(["-L", "debug", "kill", "HEAD"], {}, cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lines(r.stderr).includes(`[DEBUG] Running in session: ${key}`), r.stderr);
    assert.deepEqual(s.deleted(), [E]);
  }));

/** Runs `args` and checks the one error line, exit 1 and that no request at all was made. */
async function expectRefusal(s: Scene, args: string[], line: string, env?: Record<string, string>) {
  const r = await s.run(args, env);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.deepEqual(lines(r.stderr), [line], args.join(" "));
  assert.deepEqual(s.emu.requests, [], "nothing was sent");
}

const NO_SESSION =
  "No active session; cannot resolve history entry. Name the operation by UUID, or choose the session that has history with -S/--session or CONTREE_SESSION.";

Deno.test("kill: each resolution failure gets the spec's error line, and nothing is sent", () =>
  withScene(async (s) => {
    const cases: [string[], string][] = [
      [["@0"], "@0: History reference must be a non-zero number"],
      [["0"], "0: History reference must be a non-zero number"],
      [["HEAD~0"], "HEAD~0: History reference must be a non-zero number"],
      [["@99"], "@99: History entry 99 not found"],
      [["@007"], "@007: History entry 7 not found"],
      [["@-3"], "@-3: Cannot go back 3 steps: only 2 ancestors available"],
      [["@+2"], "@+2: Cannot go forward 2 steps: only 1 children available"],
      [["@1"], "@1: History entry 1 has no operation UUID"],
      [["HEAD~2"], "HEAD~2: History entry 1 has no operation UUID"],
      [["HEAD~abc"], "HEAD~abc"],
      [["-1"], "-1"],
    ];
    for (const [args, reason] of cases) {
      await expectRefusal(
        s,
        ["-S", "s1", "kill", ...args],
        `[ERROR] Invalid operation reference: ${reason}`,
      );
    }
    await expectRefusal(
      s,
      ["-S", "fresh", "kill", "HEAD"],
      "[ERROR] Invalid operation reference: HEAD: History entry 6 has no operation UUID",
    );
  }));

Deno.test("op cancel: no active session, collected errors, --all does not skip resolution", () =>
  withScene(async (s) => {
    await expectRefusal(
      s,
      ["-S", "nosuch", "op", "cancel", "@"],
      `[ERROR] Invalid operation reference: @: ${NO_SESSION}`,
    );
    await expectRefusal(
      s,
      ["op", "cancel", "@99 bogus", A, "@0"],
      "[ERROR] Invalid operation references: @99: History entry 99 not found bogus @0: History reference must be a non-zero number",
      { CONTREE_SESSION: "s1" },
    );
    await expectRefusal(
      s,
      ["-S", "s1", "kill", "--all", "@1"],
      "[ERROR] Invalid operation reference: @1: History entry 1 has no operation UUID",
    );
  }));

Deno.test("a stored operation UUID that is not a UUID is never sent", () =>
  withScene(async (s) => {
    await expectRefusal(
      s,
      ["-S", "bad", "kill", "@6"],
      "[ERROR] Invalid operation reference: @6: badly formed hexadecimal UUID string",
    );
  }, (db) => db.linear("bad", ["", "", "", "", "", "not-a-uuid"])));

Deno.test("plain UUIDs never touch the session database, even a corrupted one", () =>
  withScene(async (s) => {
    Deno.mkdirSync(s.db.replace(/\/[^/]*$/, ""), { recursive: true });
    Deno.writeTextFileSync(s.db, "garbage ".repeat(100));
    const r = await s.run(["kill", A]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.deleted(), [A]);
  }, null));

Deno.test("missing database: no active session, and it is not created", () =>
  withScene(async (s) => {
    await expectRefusal(
      s,
      ["-S", "s1", "kill", "HEAD", "@-1"],
      `[ERROR] Invalid operation references: HEAD: ${NO_SESSION} @-1: ${NO_SESSION}`,
    );
    assert.throws(() => Deno.statSync(s.db), Deno.errors.NotFound);
  }, null));

Deno.test("corrupted, foreign-schema and locked databases: one line, exit 1", () =>
  withScene(async (s) => {
    Deno.mkdirSync(s.db.replace(/\/[^/]*$/, ""), { recursive: true });
    Deno.writeTextFileSync(s.db, "garbage ".repeat(100));
    const refs = ["-S", "s1", "kill", "HEAD", "@-1", "bogus"];
    await expectRefusal(
      s,
      refs,
      `[ERROR] Cannot read session database ${s.db}: file is not a database`,
    );

    Deno.removeSync(s.db);
    const db = new DatabaseSync(s.db);
    db.exec("CREATE TABLE session_state (session_key TEXT PRIMARY KEY)");
    await expectRefusal(
      s,
      refs,
      `[ERROR] Cannot read session database ${s.db}: no such table: session_branches (not a contree session database, or one from an incompatible version)`,
    );

    // A rollback-journal database mid-commit (an exclusive lock), held by this process.
    db.exec("BEGIN EXCLUSIVE; INSERT INTO session_state VALUES ('x')");
    try {
      await expectRefusal(
        s,
        refs,
        `[ERROR] Cannot read session database ${s.db}: database is locked (still locked after 0.2 s; see CONTREE_DB_TIMEOUT)`,
        { CONTREE_DB_TIMEOUT: "0.2" },
      );
      await expectRefusal(
        s,
        refs,
        "[ERROR] CONTREE_DB_TIMEOUT must be a number of seconds >= 0, got 'soon'",
        { CONTREE_DB_TIMEOUT: "soon" },
      );
    } finally {
      db.close();
    }
  }, null));

/** Starts tests/session_db.ts `hold` in its own process and waits until it holds the lock. */
async function startWriter(db: string, session: string, op: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../session_db.ts", import.meta.url).pathname,
      "hold",
      db,
      session,
      op,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const nextLine = async () => {
    const { value } = await reader.read();
    return value?.trim();
  };
  assert.equal(await nextLine(), "ready");
  return {
    /** Lets the writer commit; resolves once it has. */
    async commit() {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      assert.equal(await nextLine(), "committed");
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      assert.equal((await child.status).code, 0);
    },
  };
}

Deno.test("kill HEAD resolves while another process holds a write transaction (WAL)", () =>
  withScene(async (s) => {
    // The "original" is mid-`run`: entry 7 (op E) added and the tip moved, not yet committed.
    const writer = await startWriter(s.db, "s1", E);
    let committed = false;
    try {
      const t0 = performance.now();
      const r = await s.run(["-S", "s1", "kill", "HEAD", ":+1"], { CONTREE_DB_TIMEOUT: "10" });
      assert.equal(r.code, 0, r.stderr);
      // The committed snapshot: tip 3 (B) whose latest child is 4 (C); no waiting for the lock.
      assert.deepEqual(s.deleted(), [B, C]);
      assert.ok(performance.now() - t0 < 5000, "did not wait for the writer");
      await writer.commit();
      committed = true;
    } finally {
      if (!committed) await writer.commit().catch(() => {});
    }
    // The writer's commit went through; now HEAD is its entry.
    const r = await s.run(["-S", "s1", "kill", "HEAD"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.deleted(), [B, C, E]);
  }));

Deno.test("show and op wait resolve references the same way as kill", async () => {
  await using emu = await startEmulator();
  try {
    const home = homeFor(emu);
    const [older, tip] = emu.seed(2, { status: "SUCCESS" }).map((o) => o.uuid);
    const db = SessionDb.forProfile(home);
    db.linear("w1", ["", older, tip]);
    db.close();
    const show = await runContree(["-S", "w1", "-f", "json", "show", "HEAD", "@-1"], { home });
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(show.stdout.trim().split("\n").map((l) => JSON.parse(l).uuid), [tip, older]);
    assert.deepEqual(emu.seen("GET").map((q) => q.path), [
      `/v1/operations/${tip}`,
      `/v1/operations/${older}`,
    ]);
    const wait = await runContree(["-f", "json", "op", "wait", "HEAD~1"], {
      home,
      env: { CONTREE_SESSION: "w1" },
    });
    assert.equal(wait.code, 0, wait.stderr);
    assert.equal(JSON.parse(wait.stdout).uuid, older);
    const bad = await runContree(["-S", "w1", "op", "w", "@9"], { home });
    assert.equal(bad.code, 1);
    assert.deepEqual(lines(bad.stderr), [
      "[ERROR] Invalid operation reference: @9: History entry 9 not found",
    ]);
    assert.equal(emu.seen("GET").length, 3); // nothing sent for the bad reference
  } finally {
    await emu.close();
  }
});
