// The delivery store: one record per delivery id (per-UUID progress, state, the claim), so a
// replay is answered from it and only what is not final is attempted again. In memory by default;
// in SQLite (`--state FILE`, node:sqlite) to survive a restart and to share between replicas.
import { DatabaseSync } from "node:sqlite";
import type { DeliveryRecord } from "./record.ts";
import { FILL_TOTALS, SCHEMA, STATEMENTS } from "./sql.ts";

export type { DeliveryRecord, DeliveryState, Rendered, UuidCode } from "./record.ts";
export { isComplete, renderRecord, RETRY_AFTER_SECONDS, shortError } from "./record.ts";

/** The store could not be read or written right now (a locked file); try again later. */
export class StoreBusyError extends Error {
  /** The error class name. */
  override name = "StoreBusyError";
}

/** The result of {@link DeliveryStore.claim}. */
export type Claim =
  /** This process now owns the delivery; `record` is the stored one (or the fresh one). */
  | { claimed: true; record: DeliveryRecord }
  /** Final, or another process holds a live claim: `record` says which. */
  | { claimed: false; record: DeliveryRecord };

/** Where deliveries are kept. */
export interface DeliveryStore {
  /** The record of a delivery id, if known. Throws {@link StoreBusyError}. */
  get(id: string): DeliveryRecord | undefined;
  /**
   * Claims a delivery for `fresh.owner` until `fresh.leaseUntil`, in one atomic step: creates it
   * from `fresh` when unknown, takes it over when it is not final and its claim is ours or has
   * expired (`now`). Throws {@link StoreBusyError} when that cannot be decided right now.
   */
  claim(fresh: DeliveryRecord, now: number): Claim;
  /**
   * Writes a record this process owns. Never throws for a locked file: the write is queued and
   * retried (see {@link DeliveryStore.pendingWrites}); `get` sees it meanwhile.
   */
  save(record: DeliveryRecord): void;
  /**
   * Takes over an existing `retrying` delivery whose claim has expired (resume after a crash or a
   * restart); undefined when it is gone, final, or claimed by a live process.
   */
  takeOver(id: string, owner: string, until: number, now: number): DeliveryRecord | undefined;
  /** Extends the claims of `owner` on these ids until `until` (best effort). */
  renew(ids: readonly string[], owner: string, until: number): void;
  /** Ids of `retrying` deliveries whose claim has expired (for start-up and periodic resume). */
  resumable(now: number, limit?: number): string[];
  /** Writes queued because the file was locked; retries them now. Returns how many are left. */
  flush(): number;
  /** Writes still queued. */
  pendingWrites(): number;
  /** Records kept (metrics, tests). */
  size(): number;
  /** Whether a write could be made now (readiness): the file takes a write lock. */
  writable(): boolean;
  /** Bytes of the records kept (approximately: their JSON text). */
  bytes(): number;
  /** Releases the store: commits what is batched and closes the file (SQLite). */
  close(): void;
}

/** How long a delivery id is remembered (GitHub deliveries have no timestamp to fall back on). */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
/** Most records kept; the oldest final ones go first. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Most bytes of records kept (64 MiB); the oldest final ones go first. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** How long SQLite waits for a lock before the store queues the write and tries later. */
export const BUSY_TIMEOUT_MS = 50;

/** Options of the stores. */
export interface StoreOptions {
  /** How long a delivery id is remembered (default {@link DEFAULT_RETENTION_MS}). */
  retentionMs?: number;
  /** Most records kept (default {@link DEFAULT_MAX_ENTRIES}). */
  maxEntries?: number;
  /** Most bytes of records kept (default {@link DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
  /** The clock (milliseconds since the epoch; tests). */
  now?: () => number;
}

function encode(r: DeliveryRecord): string {
  return JSON.stringify(r);
}

/**
 * An in-memory store bounded by count, bytes and age (a Map keeps insertion order, and a save
 * moves the record to the end, so the least recently written is first). Records not yet final
 * are never evicted.
 *
 * @example
 * ```ts
 * const store = memoryStore({ maxBytes: 1_000_000 });
 * const fresh = {
 *   id: "a", hash: "", state: "running" as const, uuids: [], codes: "", errors: {},
 *   accepted: false, owner: "me", leaseUntil: 1_000, createdAt: 0, updatedAt: 0,
 * };
 * store.claim(fresh, 0).claimed; // true
 * store.claim({ ...fresh, owner: "other" }, 0).claimed; // false: "me" holds it
 * ```
 */
export function memoryStore(opts: StoreOptions = {}): DeliveryStore {
  const retention = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = opts.now ?? Date.now;
  // Final records (the ones evicted for the bounds) and unfinished ones apart, each least recently
  // written first: eviction never walks past unfinished records, however many an outage leaves.
  type Entry = { text: string; at: number };
  const finals = new Map<string, Entry>();
  const live = new Map<string, Entry>();
  let total = 0;
  function drop(id: string) {
    const map = finals.has(id) ? finals : live;
    const e = map.get(id);
    if (!e) return;
    total -= e.text.length;
    map.delete(id);
  }
  /** Drops the front of `map` (least recently written first) until `enough` holds. */
  function dropOldest(map: Map<string, Entry>, enough: (e: Entry) => boolean) {
    for (const [id, e] of map) {
      if (enough(e)) break;
      total -= e.text.length;
      map.delete(id);
    }
  }
  function prune() {
    const cutoff = now() - retention;
    const recent = (e: Entry) => e.at >= cutoff;
    dropOldest(live, recent);
    dropOldest(finals, recent);
    dropOldest(finals, () => finals.size + live.size <= maxEntries && total <= maxBytes);
  }
  function put(r: DeliveryRecord) {
    drop(r.id);
    const text = encode(r);
    (r.state === "final" ? finals : live).set(r.id, { text, at: now() });
    total += text.length;
    prune();
  }
  function read(id: string): DeliveryRecord | undefined {
    const e = finals.get(id) ?? live.get(id);
    if (!e || e.at < now() - retention) return undefined;
    return JSON.parse(e.text);
  }
  return {
    get: read,
    claim(fresh, t) {
      const current = read(fresh.id);
      if (!current) {
        put(fresh);
        return { claimed: true, record: structuredClone(fresh) };
      }
      if (current.state === "final" || (current.owner !== fresh.owner && current.leaseUntil >= t)) {
        return { claimed: false, record: current };
      }
      current.owner = fresh.owner;
      current.leaseUntil = fresh.leaseUntil;
      put(current);
      return { claimed: true, record: current };
    },
    save: put,
    takeOver(id, owner, until, t) {
      const r = read(id);
      if (!r || r.state !== "retrying" || (r.owner !== owner && r.leaseUntil >= t)) {
        return undefined;
      }
      r.owner = owner;
      r.leaseUntil = until;
      put(r);
      return r;
    },
    renew(ids, owner, until) {
      for (const id of ids) {
        const r = read(id);
        if (r && r.owner === owner) {
          r.leaseUntil = until;
          put(r);
        }
      }
    },
    resumable(t, limit = 100) {
      const out: string[] = [];
      for (const [id, e] of live) {
        if (out.length >= limit) break;
        const r = JSON.parse(e.text) as DeliveryRecord;
        if (r.state === "retrying" && r.leaseUntil < t) out.push(id);
      }
      return out;
    },
    flush: () => 0,
    pendingWrites: () => 0,
    writable: () => true,
    size: () => finals.size + live.size,
    bytes: () => total,
    close() {
      finals.clear();
      live.clear();
      total = 0;
    },
  };
}

/** Tables a state file may hold: ours, and the one of earlier versions (left alone). */
const OWN_TABLES = new Set(["webhook_deliveries", "webhook_totals", "deliveries"]);

/** Most records one commit deletes to keep the bounds (the rest goes with the next commits). */
const TRIM_PER_BATCH = 1000;
/** Most records one step of the pruning at open (and hourly) deletes. */
const TRIM_AT_OPEN = 10_000;

/** A `--state` file that must not be used: a one-line reason for the user. */
export class StateFileError extends Error {
  /** The error class name. */
  override name = "StateFileError";
}

function isBusy(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /database is locked|database table is locked|SQLITE_BUSY|SQLITE_LOCKED/i.test(msg);
}

function busyGuard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isBusy(e)) throw new StoreBusyError("the --state file is locked by another process");
    throw e;
  }
}

/**
 * A store in a SQLite file (created if missing): what `--state FILE` gives. A delivery id is
 * claimed with one atomic upsert, so two processes sharing the file never both run it; a crashed
 * process's claim expires with its lease. WAL mode and a short busy timeout: a locked file never
 * blocks the event loop for long, and a write that cannot be made now is queued and retried.
 * Final records older than the retention, or beyond the count and byte bounds (oldest first),
 * are deleted: the bounds are checked at every commit, against a count and byte total that
 * triggers keep in the file, and deletions go through indexes, so keeping them costs in
 * proportion to the writes, never to the size of the file. Throws {@link StateFileError} when
 * the file holds other tables.
 *
 * @example
 * ```ts
 * const path = Deno.makeTempFileSync({ suffix: ".db" });
 * const store = sqliteStore(path);
 * store.size(); // 0
 * store.close();
 * Deno.removeSync(path);
 * ```
 */
export function sqliteStore(path: string, opts: StoreOptions = {}): DeliveryStore {
  const retention = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = opts.now ?? Date.now;
  const db = new DatabaseSync(path);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const tables = (db.prepare(STATEMENTS.tables).all() as { name: string }[])
      .map((t) => String(t.name));
    const foreign = tables.filter((t) => !OWN_TABLES.has(t));
    if (foreign.length) {
      throw new StateFileError(
        `not a webhook state file (it has other tables: ${foreign.slice(0, 5).join(", ")})`,
      );
    }
    db.exec("PRAGMA journal_mode = WAL");
    // No fsync (it would block the event loop): a process crash loses nothing, a power loss may
    // forget the last deliveries, which then run again (cancelling is idempotent).
    db.exec("PRAGMA synchronous = OFF");
    // One transaction: no other process writes between the triggers and the totals they keep.
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const ddl of SCHEMA) db.exec(ddl);
      if (!db.prepare(STATEMENTS.hasTotals).get()) db.exec(FILL_TOTALS);
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  } catch (e) {
    db.close();
    if (isBusy(e)) throw new StateFileError("the file is locked by another process");
    throw e;
  }
  const select = db.prepare(STATEMENTS.select);
  const claimStmt = db.prepare(STATEMENTS.claim);
  const update = db.prepare(STATEMENTS.update);
  const takeOverStmt = db.prepare(STATEMENTS.takeOver);
  const renewStmt = db.prepare(STATEMENTS.renew);
  const resumableStmt = db.prepare(STATEMENTS.resumable);
  const totals = db.prepare(STATEMENTS.totals);
  const purgeOld = db.prepare(STATEMENTS.purgeOld);
  const purgeOldest = db.prepare(STATEMENTS.purgeOldest);

  /** Writes that met a locked file, retried later in order. */
  const queued = new Map<string, DeliveryRecord>();
  /**
   * Saves of the current turn of the event loop, committed in one transaction by a microtask:
   * before any answer built in this turn reaches the network (an answer is written only after
   * the handler's promise settles, a later microtask), so a sender is never told "done" about a
   * record that is not in the file yet; a busy server makes one transaction for many saves.
   */
  const batch = new Map<string, DeliveryRecord>();
  let batchScheduled = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryWait = 100;
  let open = true;

  function readTotals(): { n: number; b: number } {
    const row = totals.get() as { n: number; b: number };
    return { n: Number(row.n), b: Number(row.b) };
  }

  /**
   * When the file holds more than either bound, deletes the oldest final records that put it
   * over, at most `limit`; returns whether it deleted all it wanted (then another call may find
   * more). Reading the totals is one row and each deletion goes through an index, so a call
   * costs in proportion to what it deletes.
   */
  function trim(limit: number): boolean {
    const t = readTotals();
    if (t.n <= maxEntries && t.b <= maxBytes) return false;
    const byCount = t.n - maxEntries;
    const byBytes = Math.ceil((t.b - maxBytes) / Math.max(t.b / Math.max(t.n, 1), 1));
    const wanted = Math.min(Math.max(byCount, byBytes, 1), limit);
    return Number(purgeOldest.run(wanted).changes) === wanted;
  }

  /** Deletes what is past the retention, then trims until within both bounds. */
  function prune() {
    purgeOld.run(now() - retention);
    for (let step = 0; step < 1000 && trim(TRIM_AT_OPEN); step++) {
      // A step that deleted all it wanted may have left more over a bound: look again.
    }
  }

  function write(r: DeliveryRecord): void {
    const text = encode(r);
    update.run(r.state, r.leaseUntil, r.updatedAt, text.length, text, r.id, r.owner);
  }

  function scheduleRetry() {
    if (retryTimer !== undefined || !open) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (flushQueued() > 0) {
        retryWait = Math.min(retryWait * 2, 5000);
        scheduleRetry();
      } else {
        retryWait = 100;
      }
    }, retryWait);
  }

  function flushQueued(): number {
    for (const [id, r] of queued) {
      try {
        write(r);
        queued.delete(id);
      } catch (e) {
        if (isBusy(e)) break;
        queued.delete(id);
        throw e;
      }
    }
    return queued.size;
  }

  try {
    prune();
  } catch (e) {
    if (!isBusy(e)) throw e;
  }
  const timer = setInterval(() => {
    try {
      prune();
    } catch (e) {
      if (!isBusy(e)) throw e;
    }
  }, 3600_000);
  Deno.unrefTimer(timer);

  /** Commits the saves of this turn in one transaction; what cannot be written now is queued. */
  function commitBatch(): void {
    batchScheduled = false;
    if (!open || batch.size === 0) return;
    const records = [...batch.values()];
    batch.clear();
    if (queued.size === 0) {
      try {
        db.exec("BEGIN IMMEDIATE");
        try {
          for (const r of records) write(r);
          // This turn's claims and saves grew the file by about as many records as are deleted
          // here: the bounds hold at every commit for work in proportion to the writes.
          trim(TRIM_PER_BATCH);
          db.exec("COMMIT");
          return;
        } catch (e) {
          db.exec("ROLLBACK");
          throw e;
        }
      } catch {
        // Locked (or failing): retried with back-off, counted by pendingWrites().
      }
    }
    for (const r of records) {
      queued.delete(r.id);
      queued.set(r.id, r);
    }
    scheduleRetry();
  }

  function read(id: string): DeliveryRecord | undefined {
    const b = batch.get(id);
    if (b) return structuredClone(b);
    const q = queued.get(id);
    if (q) return structuredClone(q);
    const row = busyGuard(() => select.get(id)) as
      | { owner: string; lease_until: number; data: string }
      | undefined;
    if (!row) return undefined;
    const r = JSON.parse(String(row.data)) as DeliveryRecord;
    r.owner = String(row.owner);
    r.leaseUntil = Number(row.lease_until);
    if (r.updatedAt < now() - retention) return undefined;
    return r;
  }

  return {
    get: read,
    claim(fresh, t) {
      commitBatch(); // in order: this turn's saves first
      const text = encode(fresh);
      const changes = busyGuard(() =>
        Number(
          claimStmt.run(
            fresh.id,
            fresh.state,
            fresh.owner,
            fresh.leaseUntil,
            fresh.createdAt,
            fresh.updatedAt,
            text.length,
            text,
            t,
          ).changes,
        )
      );
      const record = read(fresh.id);
      if (!record) throw new StoreBusyError("the record vanished while it was claimed");
      if (changes === 0) return { claimed: false, record };
      return { claimed: true, record };
    },
    save(r) {
      if (!open) return;
      batch.delete(r.id);
      batch.set(r.id, structuredClone(r));
      if (!batchScheduled) {
        batchScheduled = true;
        queueMicrotask(commitBatch);
      }
    },
    takeOver(id, owner, until, t) {
      commitBatch();
      if (queued.has(id)) return undefined;
      try {
        if (Number(takeOverStmt.run(owner, until, id, owner, t).changes) === 0) return undefined;
        return read(id);
      } catch (e) {
        if (isBusy(e) || e instanceof StoreBusyError) return undefined;
        throw e;
      }
    },
    renew(ids, owner, until) {
      commitBatch();
      for (const id of ids) {
        const q = queued.get(id);
        if (q) q.leaseUntil = until;
        try {
          renewStmt.run(until, id, owner);
        } catch (e) {
          if (!isBusy(e)) throw e;
        }
      }
    },
    resumable(t, limit = 100) {
      commitBatch();
      try {
        return (resumableStmt.all(t, limit) as { id: string }[]).map((r) => String(r.id));
      } catch (e) {
        if (isBusy(e)) return [];
        throw e;
      }
    },
    flush: () => {
      commitBatch();
      return flushQueued();
    },
    pendingWrites: () => queued.size + batch.size,
    writable() {
      if (!open) return false;
      try {
        db.exec("BEGIN IMMEDIATE");
        db.exec("ROLLBACK");
        return true;
      } catch {
        return false;
      }
    },
    size: () => {
      commitBatch();
      return busyGuard(() => readTotals().n);
    },
    bytes: () => {
      commitBatch();
      return busyGuard(() => readTotals().b);
    },
    close() {
      if (!open) return;
      commitBatch();
      open = false;
      clearInterval(timer);
      clearTimeout(retryTimer);
      db.close();
    },
  };
}
