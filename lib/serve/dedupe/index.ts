// Delivery dedupe: a delivery id seen before gets its stored response back and is not acted on
// again. In memory by default; in SQLite (`--state FILE`, node:sqlite) to survive a restart.
import { DatabaseSync } from "node:sqlite";

/** The final response stored for a delivery. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** Where finished deliveries are kept. Deliveries still running live in the server's memory. */
export interface DeliveryStore {
  get(id: string): StoredResponse | undefined;
  put(id: string, response: StoredResponse): void;
  /** Entries currently kept (metrics, tests). */
  size(): number;
  close(): void;
}

/** How long a delivery id is remembered (GitHub deliveries have no timestamp to fall back on). */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
/** Most entries the in-memory store keeps; the oldest go first. */
export const DEFAULT_MEMORY_ENTRIES = 100_000;

/** Options of the stores. */
export interface StoreOptions {
  retentionMs?: number;
  /** In-memory store only. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * An in-memory store bounded by count and age (a Map keeps insertion order, so the oldest entry is
 * always first).
 *
 * @example
 * ```ts
 * const store = memoryStore({ maxEntries: 2 });
 * store.put("a", { status: 200, body: "{}" });
 * store.get("a"); // { status: 200, body: "{}" }
 * ```
 */
export function memoryStore(opts: StoreOptions = {}): DeliveryStore {
  const retention = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const max = opts.maxEntries ?? DEFAULT_MEMORY_ENTRIES;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, StoredResponse & { at: number }>();
  function prune() {
    const cutoff = now() - retention;
    for (const [id, e] of entries) {
      if (entries.size <= max && e.at >= cutoff) break;
      entries.delete(id);
    }
  }
  return {
    get(id) {
      const e = entries.get(id);
      if (!e || e.at < now() - retention) return undefined;
      return { status: e.status, body: e.body };
    },
    put(id, r) {
      entries.delete(id);
      entries.set(id, { status: r.status, body: r.body, at: now() });
      prune();
    },
    size: () => entries.size,
    close() {
      entries.clear();
    },
  };
}

/**
 * A store in a SQLite file (created if missing): what `--state FILE` gives, so a delivery that was
 * answered before a restart is still answered from the store after it. Entries older than the
 * retention are deleted when the file is opened and then every hour.
 *
 * @example
 * ```ts
 * const store = sqliteStore("/tmp/contree-serve.db");
 * store.put("msg_1", { status: 200, body: "{}" });
 * store.close();
 * ```
 */
export function sqliteStore(path: string, opts: StoreOptions = {}): DeliveryStore {
  const retention = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const now = opts.now ?? Date.now;
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  // No fsync (WAL checkpoints would block the event loop): a process crash loses nothing, a power
  // loss may forget the last deliveries, which then run again (cancelling is idempotent).
  db.exec("PRAGMA synchronous = OFF");
  db.exec(`CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`);
  db.exec("CREATE INDEX IF NOT EXISTS deliveries_created_at ON deliveries (created_at)");
  const select = db.prepare("SELECT status, body, created_at FROM deliveries WHERE id = ?");
  const upsert = db.prepare(
    "INSERT OR REPLACE INTO deliveries (id, status, body, created_at) VALUES (?, ?, ?, ?)",
  );
  const purge = db.prepare("DELETE FROM deliveries WHERE created_at < ?");
  const count = db.prepare("SELECT count(*) AS n FROM deliveries");
  const prune = () => void purge.run(now() - retention);
  prune();
  const timer = setInterval(prune, 3600_000);
  Deno.unrefTimer(timer);
  let open = true;
  return {
    get(id) {
      const row = select.get(id) as
        | { status: number; body: string; created_at: number }
        | undefined;
      if (!row || row.created_at < now() - retention) return undefined;
      return { status: Number(row.status), body: String(row.body) };
    },
    put(id, r) {
      upsert.run(id, r.status, r.body, now());
    },
    size: () => Number((count.get() as { n: number }).n),
    close() {
      if (!open) return;
      open = false;
      clearInterval(timer);
      db.close();
    },
  };
}
