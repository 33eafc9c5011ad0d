// The session key and a read-only reader of the original CLI's session database
//, the store that history references resolve against.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { contreeHome } from "../config/config.ts";
import { envNumber } from "../config/env.ts";
import type { Env, Io } from "../cli/io.ts";
import { log } from "../log/log.ts";
import { type HistoryEntry, type HistoryStore, HistoryStoreError, resolveTokens } from "./refs.ts";
import { sessionDbPath } from "./schema.ts";

/** The standard "OID" namespace the original derives session keys in. */
const OID_NAMESPACE = "6ba7b812-9dad-11d1-80b4-00c04fd430c8";

/** What the derived key depends on besides profile and cwd. */
export interface ProcessInfo {
  /** The parent process id (the shell, for an interactive user). */
  ppid: number;
  /** Device path of the terminal on stdin (`/dev/pts/3`), or undefined when not a terminal. */
  tty: string | undefined;
}

/**
 * The terminal device on stdin. Only Linux exposes it without FFI (the `/proc/self/fd/0` link);
 * elsewhere it reads as no terminal, so the derived key differs from the original's there and
 * `-S`/`CONTREE_SESSION` is the way to share a session with it.
 */
function stdinTty(): string | undefined {
  try {
    if (!Deno.stdin.isTerminal()) return undefined;
    const link = Deno.readLinkSync("/proc/self/fd/0");
    return link.startsWith("/dev/") ? link : undefined;
  } catch {
    return undefined;
  }
}

/** This process's parent id and stdin terminal. */
export function currentProcess(): ProcessInfo {
  return { ppid: Deno.ppid, tty: stdinTty() };
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

/** A name-based (SHA-1, version 5) UUID, as Python's `uuid.uuid5`. */
export async function uuid5(namespace: string, name: string): Promise<string> {
  const ns = hexToBytes(namespace.replaceAll("-", ""));
  const text = new TextEncoder().encode(name);
  const data = new Uint8Array(ns.length + text.length);
  data.set(ns);
  data.set(text, ns.length);
  const h = new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.toHex();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** The last component of a path, as Python's `Path.name` (empty for `/`). */
function baseName(path: string): string {
  const parts = path.split(Deno.build.os === "windows" ? /[\\/]/ : "/").filter((p) => p !== "");
  const last = parts[parts.length - 1] ?? "";
  return /^[A-Za-z]:$/.test(last) ? "" : last;
}

/**
 * The original's default session key: `<cwd name or "session">+<8 hex>` where the hex starts the
 * UUIDv5 of `<profile>_<ppid>_<tty with / → _, or notty>`.
 *
 * @example
 * ```ts
 * await deriveSessionKey("default", "/home/me/proj", { ppid: 1234, tty: undefined });
 * // "proj+4d74f485"
 * ```
 */
export async function deriveSessionKey(
  profile: string,
  cwd: string,
  proc: ProcessInfo,
): Promise<string> {
  const ttyPart = proc.tty ? proc.tty.replaceAll("/", "_") : "notty";
  const uuid = await uuid5(OID_NAMESPACE, `${profile}_${proc.ppid}_${ttyPart}`);
  return `${baseName(cwd) || "session"}+${uuid.slice(0, 8)}`;
}

/** The session key: `-S` > `CONTREE_SESSION` > derived; empty values are skipped. */
export async function sessionKey(
  flag: string | undefined,
  profile: string,
  io: Pick<Io, "env" | "cwd">,
  proc: () => ProcessInfo = currentProcess,
): Promise<string> {
  return flag || io.env.CONTREE_SESSION || await deriveSessionKey(profile, io.cwd, proc());
}

/** `CONTREE_DB_TIMEOUT` (seconds, default 30) as milliseconds for SQLite's busy timeout. */
export function dbTimeoutMs(env: Env): number {
  const seconds = envNumber(env, "CONTREE_DB_TIMEOUT", { fallback: 30, min: 0, seconds: true });
  return Math.round(seconds * 1000);
}

/** A store with no sessions: what the original sees in the database it would have created. */
const EMPTY_STORE: HistoryStore = {
  tip: () => undefined,
  entry: () => undefined,
  latestChild: () => undefined,
};

const COLUMNS = "h.id, h.parent_id, h.session_key, h.operation_uuid";
const SQL = {
  tip: `SELECT ${COLUMNS} FROM session_state s
    JOIN session_branches b ON b.session_key = s.session_key AND b.branch_name = s.active_branch
    JOIN session_history h ON h.id = b.history_id
    WHERE s.session_key = ?`,
  entry: `SELECT ${COLUMNS} FROM session_history h WHERE h.id = ?`,
  latestChild: `SELECT ${COLUMNS} FROM session_history h
    WHERE h.parent_id = ? AND h.session_key = ? ORDER BY h.id DESC LIMIT 1`,
};

/** SQLite's integer range; a larger id cannot exist (and cannot be bound). */
const MAX_ROWID = (1n << 63n) - 1n;

function asBigInt(v: unknown): bigint | null {
  if (typeof v === "bigint") return v;
  return typeof v === "number" && Number.isInteger(v) ? BigInt(v) : null;
}

/** Tolerates odd values a foreign writer may have stored (NULL, numbers) in text columns. */
function asText(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

function toEntry(row: Record<string, unknown> | undefined): HistoryEntry | undefined {
  if (!row) return undefined;
  return {
    id: asBigInt(row.id) ?? 0n,
    parentId: asBigInt(row.parent_id),
    sessionKey: asText(row.session_key),
    operationUuid: asText(row.operation_uuid),
  };
}

/** One line saying why the database cannot be read, with a hint for the usual causes. */
function storeError(path: string, timeoutMs: number, e: unknown): HistoryStoreError {
  const msg = (e instanceof Error ? e.message : String(e)).replace(`: ${path}`, "");
  let hint = "";
  if (/^no such (table|column)/.test(msg)) {
    hint = " (not a contree session database, or one from an incompatible version)";
  } else if (/locked|busy/i.test(msg)) {
    hint = ` (still locked after ${timeoutMs / 1000} s; see CONTREE_DB_TIMEOUT)`;
  }
  return new HistoryStoreError(`Cannot read session database ${path}: ${msg}${hint}`);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    // Anything but "not there" (permissions, say) is left for SQLite to report.
    return !(e instanceof Deno.errors.NotFound);
  }
}

/** Opens read-only and prepares every query, so a foreign schema fails here, once. */
function openSqliteStore(path: string, timeoutMs: number): HistoryStore {
  let db: DatabaseSync | undefined;
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw storeError(path, timeoutMs, e);
    }
  };
  const stmts = guard(() => {
    // Read-only: never creates, migrates or writes the file. In WAL mode, readers neither block
    // the original's writer nor wait for it; the busy timeout covers rollback-journal locks.
    db = new DatabaseSync(path, { readOnly: true });
    db.exec(`PRAGMA busy_timeout = ${timeoutMs}`);
    const prepare = (sql: string): StatementSync => {
      const s = db!.prepare(sql);
      s.setReadBigInts(true);
      return s;
    };
    return { tip: prepare(SQL.tip), entry: prepare(SQL.entry), child: prepare(SQL.latestChild) };
  });
  return {
    tip: (key) => guard(() => toEntry(stmts.tip.get(key))),
    entry: (id) => id > MAX_ROWID ? undefined : guard(() => toEntry(stmts.entry.get(id))),
    latestChild: (id, key) => guard(() => toEntry(stmts.child.get(id, key))),
    close: () => db?.close(),
    name: path,
  };
}

/**
 * Opens the profile's session history read-only (`CONTREE_SESSION_DB` or
 * `<home>/cli/sessions/<profile>.db`). A missing file is an empty history, as the original would
 * create one; an unreadable one throws {@link HistoryStoreError}.
 */
export function openHistoryStore(home: string, profile: string, env: Env): HistoryStore {
  const timeoutMs = dbTimeoutMs(env);
  const path = sessionDbPath(home, profile, env);
  if (!exists(path)) {
    log.debug(`Session database ${path} does not exist; no session is active`);
    return EMPTY_STORE;
  }
  try {
    return openSqliteStore(path, timeoutMs);
  } catch (e) {
    if (e instanceof HistoryStoreError) throw e;
    throw storeError(path, timeoutMs, e);
  }
}

/** Where and as whom {@link resolveReferences} resolves. */
export interface ResolveOptions {
  /** Profile name: picks the database `<home>/cli/sessions/<profile>.db`. */
  profile: string;
  /** `CONTREE_HOME`; default from `env` as the CLI does. */
  home?: string;
  /** Session key; default `CONTREE_SESSION`, else the original's derived key. */
  session?: string;
  /** Environment to read `CONTREE_*` from; default the process environment. */
  env?: Env;
  /** Working directory for the derived key; default the process's. */
  cwd?: string;
}

/**
 * Resolves `UUID_OR_REF` arguments (UUIDs, `HEAD`, `@-1`, `:3`, …) to canonical operation UUIDs
 * against a profile's session history, exactly as `contree kill` does before sending anything.
 * Throws `ReferenceError` (session/refs.ts) with the CLI's one-line message when any token fails.
 *
 * @example
 * ```ts
 * import { resolveReferences } from "../../mod.ts";
 *
 * // UUIDs pass through; "HEAD", "@-1", … are looked up in the profile's session history.
 * const uuids = await resolveReferences(["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"], {
 *   profile: "default",
 *   session: "work",
 * });
 * ```
 */
export async function resolveReferences(
  refs: readonly string[],
  opts: ResolveOptions,
): Promise<string[]> {
  const env = opts.env ?? Deno.env.toObject();
  const home = opts.home ?? contreeHome(env);
  const key = await sessionKey(opts.session, opts.profile, { env, cwd: opts.cwd ?? Deno.cwd() });
  return resolveTokens(refs, () => openHistoryStore(home, opts.profile, env), key);
}
