// Builds session databases exactly as the original contree CLI lays them out (its schema, WAL
// mode, synchronous=NORMAL), so reference resolution is tested against the real thing.
import { DatabaseSync } from "node:sqlite";
import { SESSION_SCHEMA, sessionDbPath } from "../lib/session/schema.ts";

/** One history entry to add. */
export interface EntrySpec {
  /** Explicit id (the original uses AUTOINCREMENT; tests sometimes need gaps). */
  id?: number;
  /** Parent entry id; default none (a root). */
  parent?: number | null;
  /** Default `run` when an operation UUID is given, else `use`. */
  kind?: string;
  /** Operation UUID; default empty, as for `use`/`cd`/`file` entries. */
  op?: string;
  image?: string;
  title?: string;
}

/** A writable handle on a fixture database. */
export class SessionDb {
  constructor(readonly path: string, readonly db: DatabaseSync) {}

  /** Creates (or opens) the database at `path` with the original's schema, in WAL mode. */
  static create(path: string): SessionDb {
    Deno.mkdirSync(path.replace(/\/[^/]*$/, ""), { recursive: true });
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    db.exec(SESSION_SCHEMA);
    return new SessionDb(path, db);
  }

  /** The profile's database under a CONTREE_HOME, where the CLI looks for it. */
  static forProfile(home: string, profile = "default"): SessionDb {
    return SessionDb.create(sessionDbPath(home, profile, {}));
  }

  /** Adds a `session_history` row and returns its id. */
  add(session: string, e: EntrySpec = {}): number {
    const r = this.db.prepare(
      `INSERT INTO session_history (id, session_key, image_uuid, parent_id, kind, title,
        operation_uuid) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      e.id ?? null,
      session,
      e.image ?? "00000000-0000-4000-8000-000000000000",
      e.parent ?? null,
      e.kind ?? (e.op ? "run" : "use"),
      e.title ?? "",
      e.op ?? "",
    );
    return Number(r.lastInsertRowid);
  }

  /** Points a branch at an entry. */
  branch(session: string, name: string, historyId: number): void {
    this.db.prepare(
      `INSERT INTO session_branches (session_key, branch_name, history_id) VALUES (?, ?, ?)
       ON CONFLICT (session_key, branch_name) DO UPDATE SET history_id = excluded.history_id`,
    ).run(session, name, historyId);
  }

  /** Sets the session's active branch (creating its state row). */
  state(session: string, activeBranch = "main"): void {
    this.db.prepare(
      `INSERT INTO session_state (session_key, active_branch) VALUES (?, ?)
       ON CONFLICT (session_key) DO UPDATE SET active_branch = excluded.active_branch`,
    ).run(session, activeBranch);
  }

  /** Moves the tip of the active branch (`main` by default) to an entry: a rollback. */
  tip(session: string, historyId: number, branch = "main"): void {
    this.state(session, branch);
    this.branch(session, branch, historyId);
  }

  /**
   * A linear history, as `use` then `run`s produce it: one entry per item (an operation UUID, or
   * `""` for an entry without one), each the child of the previous, tip at the last.
   * Returns the ids.
   */
  linear(session: string, ops: string[], parent: number | null = null): number[] {
    const ids: number[] = [];
    for (const op of ops) {
      parent = this.add(session, { parent, op });
      ids.push(parent);
    }
    if (ids.length) this.tip(session, ids[ids.length - 1]);
    return ids;
  }

  close(): void {
    this.db.close();
  }
}

/** Operation UUIDs for fixtures (A…E), valid v4 UUIDs in canonical form. */
export const OPS = {
  A: "0a000000-0000-4000-8000-00000000000a",
  B: "0b000000-0000-4000-8000-00000000000b",
  C: "0c000000-0000-4000-8000-00000000000c",
  D: "0d000000-0000-4000-8000-00000000000d",
  E: "0e000000-0000-4000-8000-00000000000e",
};

/**
 * The worked example of spec §3.4. Session `s1`: 1 `use` ← 2 op A ← 3 op B; rolled back to 2,
 * 4 op C with parent 2, rolled back to 2 again (tip 2, children 3 and 4). Session `s2` owns
 * entry 5 (op D).
 */
export function workedExample(db: SessionDb, ops = OPS): void {
  db.linear("s1", ["", ops.A, ops.B]);
  db.tip("s1", 2);
  db.add("s1", { parent: 2, op: ops.C });
  db.tip("s1", 2);
  db.linear("s2", [ops.D]);
}

/**
 * Run as a script (`deno run -A tests/session_db.ts hold DB SESSION OP`): plays the original CLI
 * in the middle of `contree run`. It opens DB, starts a write transaction (BEGIN IMMEDIATE), adds
 * a history entry for OP under SESSION's tip and moves the tip to it, prints `ready`, and keeps
 * the transaction open until a line arrives on stdin; then it commits and prints `committed`.
 */
async function hold(path: string, session: string, op: string): Promise<void> {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE");
  const tip = db.prepare(
    `SELECT history_id FROM session_branches b JOIN session_state s
      ON s.session_key = b.session_key AND s.active_branch = b.branch_name
      WHERE b.session_key = ?`,
  ).get(session)?.history_id as number;
  const fixture = new SessionDb(path, db);
  fixture.tip(session, fixture.add(session, { parent: tip, op }));
  const out = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
  out("ready\n");
  for await (const _ of Deno.stdin.readable) break;
  db.exec("COMMIT");
  db.close();
  out("committed\n");
}

if (import.meta.main && Deno.args[0] === "hold") {
  await hold(Deno.args[1], Deno.args[2], Deno.args[3]);
}
