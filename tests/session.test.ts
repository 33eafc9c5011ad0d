// The session key derivation (spec §2.6) and the read-only session-database reader: what it
// does with missing, foreign, corrupted, locked and busy databases.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { ConfigError } from "../lib/config/config.ts";
import { HistoryStoreError, resolveTokens } from "../lib/session/refs.ts";
import {
  dbTimeoutMs,
  deriveSessionKey,
  openHistoryStore,
  resolveReferences,
  sessionKey,
  uuid5,
} from "../lib/session/session.ts";
import { sessionDbPath } from "../lib/session/schema.ts";
import { OPS, SessionDb } from "./session_db.ts";
import { type TempDir, tempDir } from "./helpers.ts";

const notty = { ppid: 1234, tty: undefined };
const pts3 = { ppid: 1234, tty: "/dev/pts/3" };

Deno.test("uuid5 matches Python's uuid.uuid5 (NAMESPACE_DNS, python.org)", async () => {
  assert.equal(
    await uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
    "886313e1-3b8a-5372-9b90-0c9aee199e5d",
  );
});

Deno.test("derived key: the spec's examples", async () => {
  assert.equal(await deriveSessionKey("default", "/home/me/proj", notty), "proj+4d74f485");
  assert.equal(await deriveSessionKey("default", "/home/me/proj", pts3), "proj+4053747d");
  assert.equal(await deriveSessionKey("default", "/", notty), "session+4d74f485");
  assert.equal(await deriveSessionKey("default", "/x/contree-cli/", notty), "contree-cli+4d74f485");
  assert.match(await deriveSessionKey("staging", "/w/myproj", notty), /^myproj\+[0-9a-f]{8}$/);
  assert.notEqual(
    await deriveSessionKey("staging", "/", notty),
    await deriveSessionKey("default", "/", notty),
  );
});

Deno.test("session key: -S > CONTREE_SESSION > derived; empty values are skipped", async () => {
  const io = (env: Record<string, string>) => ({ env, cwd: "/w/myproj" });
  const proc = () => notty;
  assert.equal(await sessionKey("flag", "default", io({ CONTREE_SESSION: "env" }), proc), "flag");
  assert.equal(await sessionKey(undefined, "default", io({ CONTREE_SESSION: "env" }), proc), "env");
  assert.equal(
    await sessionKey("", "default", io({ CONTREE_SESSION: "" }), proc),
    "myproj+4d74f485",
  );
  // The real process: whatever the terminal, the key has the documented shape.
  assert.match(await sessionKey(undefined, "default", io({})), /^myproj\+[0-9a-f]{8}$/);
});

Deno.test("CONTREE_DB_TIMEOUT: seconds (default 30), fractions allowed, junk is a config error", () => {
  assert.equal(dbTimeoutMs({}), 30_000);
  assert.equal(dbTimeoutMs({ CONTREE_DB_TIMEOUT: "" }), 30_000);
  assert.equal(dbTimeoutMs({ CONTREE_DB_TIMEOUT: "0.25" }), 250);
  assert.equal(dbTimeoutMs({ CONTREE_DB_TIMEOUT: "0" }), 0);
  for (const bad of ["abc", "-1", "Infinity"]) {
    assert.throws(
      () => dbTimeoutMs({ CONTREE_DB_TIMEOUT: bad }),
      (e) =>
        e instanceof ConfigError &&
        e.message === `CONTREE_DB_TIMEOUT must be a number of seconds >= 0, got '${bad}'`,
    );
  }
});

function tempHome(): TempDir {
  return tempDir("contree-session-");
}

const NO_SESSION =
  "Invalid operation reference: HEAD: No active session; cannot resolve history entry. Name the operation by UUID, or choose the session that has history with -S/--session or CONTREE_SESSION.";

Deno.test("missing database: no session is active, and nothing is created", () => {
  using dir = tempHome();
  const home = dir.path;
  assert.throws(
    () => resolveTokens(["HEAD"], () => openHistoryStore(home, "default", {}), "s"),
    (e) => e instanceof Error && e.message === NO_SESSION,
  );
  assert.deepEqual([...Deno.readDirSync(home)], []);
});

Deno.test("CONTREE_SESSION_DB names the database", () => {
  using dir = tempHome();
  const home = dir.path;
  const path = `${home}/elsewhere.db`;
  const db = SessionDb.create(path);
  db.linear("s", [OPS.A]);
  db.close();
  const env = { CONTREE_SESSION_DB: path };
  assert.deepEqual(resolveTokens(["HEAD"], () => openHistoryStore(home, "default", env), "s"), [
    OPS.A,
  ]);
});

Deno.test("reading never changes the database file", async () => {
  using dir = tempHome();
  const home = dir.path;
  const db = SessionDb.forProfile(home);
  db.linear("s", ["", OPS.A, OPS.B]);
  db.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  const path = sessionDbPath(home, "default", {});
  const before = await Deno.readFile(path);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(
      resolveTokens(["HEAD @-1 @2"], () => openHistoryStore(home, "default", {}), "s"),
      [OPS.B, OPS.A, OPS.A],
    );
  }
  assert.deepEqual(await Deno.readFile(path), before);
});

/** Resolves HEAD against `path` and returns the HistoryStoreError's message. */
function storeFailure(home: string, env: Record<string, string> = {}): string {
  try {
    resolveTokens(["HEAD", "@1"], () => openHistoryStore(home, "default", env), "s");
  } catch (e) {
    assert.ok(e instanceof HistoryStoreError, String(e));
    return e.message;
  }
  assert.fail("resolution should have failed");
}

Deno.test("a corrupted file: one line naming the database", () => {
  using dir = tempHome();
  const home = dir.path;
  const path = sessionDbPath(home, "default", {});
  Deno.mkdirSync(`${home}/cli/sessions`, { recursive: true });
  Deno.writeTextFileSync(path, "this is not sqlite ".repeat(100));
  assert.equal(storeFailure(home), `Cannot read session database ${path}: file is not a database`);
});

Deno.test("a foreign or older schema: missing table or column", () => {
  const hint = " (not a contree session database, or one from an incompatible version)";
  using dir = tempHome();
  const home = dir.path;
  const path = sessionDbPath(home, "default", {});
  Deno.mkdirSync(`${home}/cli/sessions`, { recursive: true });
  let db = new DatabaseSync(path);
  db.exec("CREATE TABLE something_else (x)");
  db.close();
  assert.equal(
    storeFailure(home),
    `Cannot read session database ${path}: no such table: session_state${hint}`,
  );
  Deno.removeSync(path);
  // The original's tables, but session_history without operation_uuid.
  db = new DatabaseSync(path);
  db.exec(`CREATE TABLE session_state (session_key TEXT PRIMARY KEY, active_branch TEXT);
    CREATE TABLE session_branches (session_key TEXT, branch_name TEXT, history_id INTEGER);
    CREATE TABLE session_history (id INTEGER PRIMARY KEY, session_key TEXT, parent_id INTEGER);`);
  db.close();
  assert.equal(
    storeFailure(home),
    `Cannot read session database ${path}: no such column: h.operation_uuid${hint}`,
  );
});

Deno.test("a newer schema with extra columns and tables still resolves", () => {
  using dir = tempHome();
  const home = dir.path;
  const db = SessionDb.forProfile(home);
  db.db.exec(`ALTER TABLE session_history ADD COLUMN future TEXT NOT NULL DEFAULT 'x';
    CREATE TABLE session_future (y)`);
  db.linear("s", [OPS.A]);
  db.close();
  assert.deepEqual(resolveTokens(["HEAD"], () => openHistoryStore(home, "default", {}), "s"), [
    OPS.A,
  ]);
});

Deno.test("a path that is a directory: one line", () => {
  using dir = tempHome();
  const home = dir.path;
  const path = sessionDbPath(home, "default", {});
  Deno.mkdirSync(path, { recursive: true });
  assert.match(storeFailure(home), /^Cannot read session database .*default\.db: .+$/);
});

Deno.test("an exclusive lock held past CONTREE_DB_TIMEOUT: one line, after the timeout", () => {
  using dir = tempHome();
  const home = dir.path;
  const path = sessionDbPath(home, "default", {});
  Deno.mkdirSync(`${home}/cli/sessions`, { recursive: true });
  // A rollback-journal database with a writer mid-commit (EXCLUSIVE): readers must wait.
  const holder = new DatabaseSync(path);
  try {
    holder.exec(`CREATE TABLE x (y); BEGIN EXCLUSIVE; INSERT INTO x VALUES (1);`);
    const t0 = performance.now();
    assert.equal(
      storeFailure(home, { CONTREE_DB_TIMEOUT: "0.2" }),
      `Cannot read session database ${path}: database is locked (still locked after 0.2 s; see CONTREE_DB_TIMEOUT)`,
    );
    assert.ok(performance.now() - t0 >= 150, "waited for the busy timeout");
  } finally {
    holder.close();
  }
});

Deno.test("an uncommitted write in WAL mode does not block or leak into the read", () => {
  using dir = tempHome();
  const home = dir.path;
  const db = SessionDb.forProfile(home);
  db.linear("s", ["", OPS.A]);
  db.db.exec("BEGIN IMMEDIATE");
  db.add("s", { parent: 2, op: OPS.B });
  db.tip("s", 3);
  const resolve = (arg: string) =>
    resolveTokens([arg], () => openHistoryStore(home, "default", {}), "s");
  try {
    // Only committed state is seen: the tip is still entry 2, which has no committed child.
    assert.deepEqual(resolve("HEAD"), [OPS.A]);
    assert.throws(() => resolve("@+1"), {
      message:
        "Invalid operation reference: @+1: Cannot go forward 1 steps: only 0 children available",
    });
  } finally {
    db.db.exec("COMMIT");
    db.close();
  }
  assert.deepEqual(resolveTokens(["HEAD @-1"], () => openHistoryStore(home, "default", {}), "s"), [
    OPS.B,
    OPS.A,
  ]);
});

Deno.test("resolveReferences: the library entry point", async () => {
  using dir = tempHome();
  const home = dir.path;
  const db = SessionDb.forProfile(home, "staging");
  db.linear("work", ["", OPS.A, OPS.B]);
  db.close();
  assert.deepEqual(
    await resolveReferences(["HEAD @-1", OPS.C.toUpperCase()], {
      profile: "staging",
      home,
      session: "work",
      env: {},
    }),
    [OPS.B, OPS.A, OPS.C],
  );
  // Other profiles have their own (here: missing) database.
  await assert.rejects(
    resolveReferences(["HEAD"], { profile: "default", home, session: "work", env: {} }),
    (e) => e instanceof Error && e.message === NO_SESSION,
  );
  // CONTREE_HOME and CONTREE_SESSION from env when not given.
  assert.deepEqual(
    await resolveReferences(["@2"], {
      profile: "staging",
      env: { CONTREE_HOME: home, CONTREE_SESSION: "work" },
    }),
    [OPS.A],
  );
});
