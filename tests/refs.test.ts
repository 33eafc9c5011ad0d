// Lexing and resolution of session-history references (spec §3.3–§3.7, §8.5), resolved against
// real SQLite databases built with the original's schema.
import assert from "node:assert/strict";
import {
  type HistoryEntry,
  type HistoryStore,
  HistoryStoreError,
  parseReference,
  type Reference,
  ReferenceError,
  resolveTokens,
  splitTokens,
} from "../lib/session/refs.ts";
import { openHistoryStore } from "../lib/session/session.ts";
import { OPS, SessionDb, workedExample } from "./session_db.ts";
import { type TempDir, tempDir } from "./helpers.ts";

const { A, B, C, D } = OPS;

/** A fresh CONTREE_HOME whose default profile's database `build` fills. */
function homeWith(build: (db: SessionDb) => void): TempDir {
  const home = tempDir("contree-refs-");
  try {
    const db = SessionDb.forProfile(home.path);
    try {
      build(db);
    } finally {
      db.close();
    }
  } catch (e) {
    home[Symbol.dispose]();
    throw e;
  }
  return home;
}

/** Resolves `args` in `session` against `home`, returning UUIDs or the error line. */
function resolve(home: string, session: string, ...args: string[]): string[] | string {
  try {
    return resolveTokens(args, () => openHistoryStore(home, "default", {}), session);
  } catch (e) {
    if (e instanceof ReferenceError) return e.message;
    throw e;
  }
}

const one = (token: string, reason: string) => `Invalid operation reference: ${token}: ${reason}`;

Deno.test("parseReference: every lexical form of spec §3.3", () => {
  const cases: [string, Reference | undefined][] = [
    ["@", { kind: "tip" }],
    [":", { kind: "tip" }],
    ["HEAD", { kind: "tip" }],
    ["@5", { kind: "id", n: 5n }],
    [":12", { kind: "id", n: 12n }],
    ["7", { kind: "id", n: 7n }],
    ["HEAD5", { kind: "id", n: 5n }],
    ["@-2", { kind: "back", n: 2n }],
    [":-2", { kind: "back", n: 2n }],
    ["HEAD-2", { kind: "back", n: 2n }],
    ["HEAD~", { kind: "back", n: 1n }],
    ["HEAD~3", { kind: "back", n: 3n }],
    ["HEAD~0", { kind: "back", n: 0n }],
    ["@+1", { kind: "forward", n: 1n }],
    [":+1", { kind: "forward", n: 1n }],
    ["HEAD+1", { kind: "forward", n: 1n }],
    ["@007", { kind: "id", n: 7n }],
    ["@-01", { kind: "back", n: 1n }],
    ["@0", { kind: "id", n: 0n }],
    ["0", { kind: "id", n: 0n }],
    ["123456789012345678", { kind: "id", n: 123456789012345678n }],
    ["@99999999999999999999", { kind: "id", n: 99999999999999999999n }],
  ];
  for (const [token, want] of cases) assert.deepEqual(parseReference(token), want, token);
});

Deno.test("parseReference: literals (not references)", () => {
  for (
    const token of [
      "HEAD~abc",
      "HEAD~-1",
      "HEAD~+1",
      "+",
      "-",
      "-3",
      "+1",
      "@+",
      ":-",
      "HEAD+",
      "HEAD-",
      "head",
      "@@",
      "@1a",
      "not-a-ref",
      "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f",
      // More than 18 digits: a UUID candidate, never an overflowing id (decisions §23).
      "1234567890123456789",
      "12345678901234567890123456789012",
    ]
  ) {
    assert.equal(parseReference(token), undefined, token);
  }
});

Deno.test("splitTokens: any whitespace, empty pieces dropped, order and duplicates kept", () => {
  assert.deepEqual(splitTokens(["A B", "C", "\tA"]), ["A", "B", "C", "A"]);
  assert.deepEqual(splitTokens(["a\nb\r\n c  "]), ["a", "b", "c"]);
  assert.deepEqual(splitTokens([]), []);
  assert.deepEqual(splitTokens(["  ", ""]), []);
});

Deno.test("worked example of spec §3.4, token by token", () => {
  using dir = homeWith(workedExample);
  const home = dir.path;
  const cases: [string, string][] = [
    ["@", A],
    [":", A],
    ["HEAD", A],
    ["@2", A],
    [":3", B],
    ["4", C],
    ["@+1", C],
    [":+1", C],
    ["HEAD+1", C],
    ["@+2", "Cannot go forward 2 steps: only 1 children available"],
    ...["@-1", ":-1", "HEAD~", "HEAD~1", "HEAD-1", "@-01"].map((t): [string, string] => [
      t,
      "History entry 1 has no operation UUID",
    ]),
    ["@-2", "Cannot go back 2 steps: only 1 ancestors available"],
    ["@0", "History reference must be a non-zero number"],
    ["0", "History reference must be a non-zero number"],
    ["HEAD~0", "History reference must be a non-zero number"],
    ["@5", D],
    ["HEAD5", D],
    ["@99", "History entry 99 not found"],
    ["@007", "History entry 7 not found"],
  ];
  for (const [token, want] of cases) {
    const got = resolve(home, "s1", token);
    assert.deepEqual(got, want.includes(" ") ? one(token, want) : [want], token);
  }
  assert.equal(
    resolve(home, "nosuch", "@"),
    one(
      "@",
      "No active session; cannot resolve history entry. Name the operation by UUID, or choose the session that has history with -S/--session or CONTREE_SESSION.",
    ),
  );
});

Deno.test("linear history: tip, steps back, absolute ids (spec §8.5 cases 90–94)", () => {
  using dir = homeWith((db) => db.linear("s", ["", A, B]));
  const home = dir.path;
  for (const t of ["@", ":", "HEAD"]) assert.deepEqual(resolve(home, "s", t), [B], t);
  for (const t of ["@-1", ":-1", "HEAD~1", "HEAD~", "HEAD-1"]) {
    assert.deepEqual(resolve(home, "s", t), [A], t);
  }
  for (const t of ["@2", ":2", "2", "HEAD2"]) assert.deepEqual(resolve(home, "s", t), [A], t);
  assert.equal(
    resolve(home, "s", "@-3"),
    one("@-3", "Cannot go back 3 steps: only 2 ancestors available"),
  );
  assert.equal(resolve(home, "s", "@999"), one("@999", "History entry 999 not found"));
  assert.equal(
    resolve(home, "s", "@+1"),
    one("@+1", "Cannot go forward 1 steps: only 0 children available"),
  );
  assert.deepEqual(resolve(home, "s", "HEAD HEAD~1", C), [B, A, C]);
});

Deno.test("right after `use`: the tip has no operation UUID", () => {
  using dir = homeWith((db) => db.linear("s", [""]));
  const home = dir.path;
  for (const t of ["@", "HEAD", "@1"]) {
    assert.equal(resolve(home, "s", t), one(t, "History entry 1 has no operation UUID"));
  }
});

Deno.test("no active session: no state, a branch that is not active, a dangling branch", () => {
  using dir = homeWith((db) => {
    db.linear("s", ["", A]);
    // State but no branch row for the active branch.
    db.state("nobranch", "main");
    db.branch("nobranch", "other", 2);
    // Branch pointing at a missing entry.
    db.tip("dangling", 42);
    // Branch rows without a state row.
    db.branch("nostate", "main", 2);
  });
  const home = dir.path;
  const msg =
    "No active session; cannot resolve history entry. Name the operation by UUID, or choose the session that has history with -S/--session or CONTREE_SESSION.";
  for (const s of ["nosuch", "nobranch", "dangling", "nostate"]) {
    // Checked before anything else, also for absolute ids and zero.
    assert.equal(resolve(home, s, "@1"), one("@1", msg), s);
    assert.equal(resolve(home, s, "@0"), one("@0", msg), s);
  }
});

Deno.test("absolute ids are not session-scoped; forward walks are (decisions §8)", () => {
  using dir = homeWith((db) => {
    const [root] = db.linear("mine", [A]);
    // Another session's entry hanging off our tip, with a higher id than ours.
    db.add("theirs", { parent: root, op: D });
    db.add("mine", { parent: root, op: B });
    db.add("theirs", { parent: root, op: C });
  });
  const home = dir.path;
  assert.deepEqual(resolve(home, "mine", "@2"), [D]);
  assert.deepEqual(resolve(home, "mine", "@+1"), [B]);
});

Deno.test("forward walk picks the latest child of the current session at each branch point", () => {
  // 1 ← 2 ← 3 and 1 ← 4 ← 5, plus 2 ← 6: tip at 1; @+1 → 4 (latest child of 1), @+2 → 5;
  // after a rollback to 2, @+1 → 6 (latest child of 2).
  const ops = ["01", "02", "03", "04", "05", "06"].map((n) =>
    `000000${n}-0000-4000-8000-000000000000`
  );
  using dir = homeWith((db) => {
    db.linear("s", [ops[0], ops[1], ops[2]]);
    db.linear("s", [ops[3], ops[4]], 1);
    db.add("s", { parent: 2, op: ops[5] });
    db.tip("s", 1);
  });
  const home = dir.path;
  assert.deepEqual(resolve(home, "s", "@+1", ":+2", "HEAD+1"), [ops[3], ops[4], ops[3]]);
  assert.equal(
    resolve(home, "s", "@+3"),
    one("@+3", "Cannot go forward 3 steps: only 2 children available"),
  );
  const db = SessionDb.forProfile(home);
  db.tip("s", 2);
  db.close();
  assert.deepEqual(resolve(home, "s", "@+1"), [ops[5]]);
});

Deno.test("detached runs: HEAD stays, @+1 finds the newest detached run (spec §9.10)", () => {
  using dir = homeWith((db) => {
    const [, prev] = db.linear("s", ["", A]);
    const det = db.add("s", { parent: prev, op: B, kind: "run-detached" });
    db.branch("s", `detached-${B}`, det);
  });
  const home = dir.path;
  assert.deepEqual(resolve(home, "s", "HEAD", "@+1"), [A, B]);
});

Deno.test("stored operation UUIDs are validated and sent canonical", () => {
  using dir = homeWith((db) => {
    db.linear("s", ["not-a-uuid"]);
    db.linear("t", [`{${A.toUpperCase()}}`]);
  });
  const home = dir.path;
  assert.equal(resolve(home, "s", "HEAD"), one("HEAD", "badly formed hexadecimal UUID string"));
  assert.deepEqual(resolve(home, "t", "HEAD"), [A]);
});

Deno.test("errors are collected in order into one line; literals contribute just the token", () => {
  using dir = homeWith(workedExample);
  const home = dir.path;
  assert.equal(
    resolve(home, "s1", "@99 bogus", A, "@0"),
    "Invalid operation references: @99: History entry 99 not found bogus @0: History reference must be a non-zero number",
  );
  assert.equal(resolve(home, "s1", "abc", A, "def"), "Invalid operation references: abc def");
  assert.equal(resolve(home, "s1", "-1"), "Invalid operation reference: -1");
});

Deno.test("literal UUIDs in any accepted form come out canonical (decisions §22, §23)", () => {
  using dir = homeWith(() => {});
  const home = dir.path;
  const forms = [
    A.toUpperCase(),
    `{${A}}`,
    A.replaceAll("-", ""),
    `urn:uuid:${A}`,
  ];
  assert.deepEqual(resolve(home, "s", ...forms), forms.map(() => A));
  // 32 decimal digits: a literal UUID, not an overflowing history id.
  assert.deepEqual(resolve(home, "s", "12345678901234567890123456789012"), [
    "12345678-9012-3456-7890-123456789012",
  ]);
});

Deno.test("ids beyond SQLite's integer range are simply not found", () => {
  using dir = homeWith((db) => db.linear("s", [A]));
  const home = dir.path;
  assert.equal(
    resolve(home, "s", "@99999999999999999999"),
    one("@99999999999999999999", "History entry 99999999999999999999 not found"),
  );
  assert.equal(
    resolve(home, "s", "HEAD~99999999999999999999"),
    one(
      "HEAD~99999999999999999999",
      "Cannot go back 99999999999999999999 steps: only 0 ancestors available",
    ),
  );
});

/** An in-memory store that counts how often it is opened and closed. */
function fakeStore(entries: HistoryEntry[], tipId: bigint | undefined) {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const counts = { opened: 0, closed: 0 };
  const store: HistoryStore = {
    tip: () => (tipId === undefined ? undefined : byId.get(tipId)),
    entry: (id) => byId.get(id),
    latestChild: (id, key) =>
      entries.filter((e) => e.parentId === id && e.sessionKey === key).sort((a, b) =>
        Number(b.id - a.id)
      )[0],
    close: () => void counts.closed++,
  };
  return { counts, open: () => (counts.opened++, store) };
}

Deno.test("the store is opened only when a reference needs it, once, and closed", () => {
  const f = fakeStore([{ id: 1n, parentId: null, sessionKey: "s", operationUuid: A }], 1n);
  assert.deepEqual(resolveTokens([A, B], f.open, "s"), [A, B]);
  assert.deepEqual(f.counts, { opened: 0, closed: 0 });
  assert.deepEqual(resolveTokens(["HEAD @1", ":"], f.open, "s"), [A, A, A]);
  assert.deepEqual(f.counts, { opened: 1, closed: 1 });
  assert.throws(() => resolveTokens(["@9"], f.open, "s"), ReferenceError);
  assert.deepEqual(f.counts, { opened: 2, closed: 2 });
});

Deno.test("a store failure is thrown once as is, not collected per token, and still closes", () => {
  let closed = 0;
  const broken: HistoryStore = {
    tip: () => {
      throw new HistoryStoreError("Cannot read session database x: disk I/O error");
    },
    entry: () => undefined,
    latestChild: () => undefined,
    close: () => void closed++,
  };
  assert.throws(
    () => resolveTokens(["HEAD", "@1", "bogus"], () => broken, "s"),
    (e) =>
      e instanceof HistoryStoreError &&
      e.message === "Cannot read session database x: disk I/O error",
  );
  assert.equal(closed, 1);
  const failing = () => {
    throw new HistoryStoreError("Cannot read session database x: file is not a database");
  };
  assert.throws(() => resolveTokens(["HEAD"], failing, "s"), HistoryStoreError);
});

Deno.test("a parent cycle (damaged database) is an error once walked into, never a hang", () => {
  // 2 and 3 are each other's parent; going back (or forward) from 3 meets 3 again.
  const e = (id: bigint, parentId: bigint, op: string): HistoryEntry => ({
    id,
    parentId,
    sessionKey: "s",
    operationUuid: op,
  });
  const f = fakeStore([e(2n, 3n, A), e(3n, 2n, B)], 3n);
  assert.deepEqual(resolveTokens(["@-1", "HEAD~1", "@+1"], f.open, "s"), [A, A, A]);
  const damaged = (e: unknown) =>
    e instanceof HistoryStoreError &&
    e.message === "Cannot resolve history references: the session history is damaged " +
        "(the parent links of entry 3 form a cycle)";
  for (const ref of ["@-2", "HEAD~1000000000000000001", "@+2", "@+99999999999999999999"]) {
    assert.throws(() => resolveTokens([A, ref, "bogus"], f.open, "s"), damaged, ref);
  }
  assert.deepEqual(f.counts, { opened: 5, closed: 5 });
});
