// The SQL of the `--state` file: its schema and every statement the SQLite store runs, in one
// place, so a test can check each statement's query plan against the schema.
import { DELIVERY_STATES } from "./record.ts";

/**
 * The schema, created if missing when a store opens the file, in this order and in one
 * transaction. `webhook_totals` holds the count and bytes of the records, kept by triggers on
 * every insert, delete and size change (whichever process writes), so reading them never counts
 * the table. A file written before it existed gets it filled once by {@link FILL_TOTALS}.
 */
export const SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    owner TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    data TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS webhook_deliveries_state ON webhook_deliveries (state, updated_at)",
  `CREATE TABLE IF NOT EXISTS webhook_totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    n INTEGER NOT NULL,
    b INTEGER NOT NULL
  )`,
  `CREATE TRIGGER IF NOT EXISTS webhook_totals_insert AFTER INSERT ON webhook_deliveries
    BEGIN UPDATE webhook_totals SET n = n + 1, b = b + NEW.bytes WHERE id = 0; END`,
  `CREATE TRIGGER IF NOT EXISTS webhook_totals_delete AFTER DELETE ON webhook_deliveries
    BEGIN UPDATE webhook_totals SET n = n - 1, b = b - OLD.bytes WHERE id = 0; END`,
  `CREATE TRIGGER IF NOT EXISTS webhook_totals_update AFTER UPDATE OF bytes ON webhook_deliveries
    BEGIN UPDATE webhook_totals SET b = b + NEW.bytes - OLD.bytes WHERE id = 0; END`,
];

/**
 * Counts the records once into an empty `webhook_totals` (the one statement that reads the whole
 * table), in the transaction that created the triggers.
 */
export const FILL_TOTALS = `INSERT INTO webhook_totals (id, n, b)
  SELECT 0, count(*), coalesce(sum(bytes), 0) FROM webhook_deliveries`;

/** The statements the store runs, by name; `?` are positional parameters. */
export const STATEMENTS = {
  /** The names of the tables in the file (to refuse a file that is not ours). */
  tables: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  /** One delivery: owner, lease and the record's JSON. */
  select: "SELECT owner, lease_until, data FROM webhook_deliveries WHERE id = ?",
  /**
   * Creates a delivery, or takes it over when it is not final and its claim is ours or expired:
   * id, state, owner, lease_until, created_at, updated_at, bytes, data, now.
   */
  claim: `INSERT INTO webhook_deliveries
      (id, state, owner, lease_until, created_at, updated_at, bytes, data)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
    WHERE webhook_deliveries.state <> 'final'
      AND (webhook_deliveries.owner = excluded.owner OR webhook_deliveries.lease_until < ?)`,
  /** Writes an owned record: state, lease_until, updated_at, bytes, data, id, owner. */
  update: `UPDATE webhook_deliveries
    SET state = ?, lease_until = ?, updated_at = ?, bytes = ?, data = ?
    WHERE id = ? AND owner = ?`,
  /** Takes over a `retrying` delivery whose claim expired: owner, lease_until, id, owner, now. */
  takeOver: `UPDATE webhook_deliveries SET owner = ?, lease_until = ?
    WHERE id = ? AND state = 'retrying' AND (owner = ? OR lease_until < ?)`,
  /** Extends a claim: lease_until, id, owner. */
  renew: "UPDATE webhook_deliveries SET lease_until = ? WHERE id = ? AND owner = ?",
  /** `retrying` deliveries whose claim expired, oldest first: now, limit. */
  resumable: `SELECT id FROM webhook_deliveries
    WHERE state = 'retrying' AND lease_until < ? ORDER BY updated_at LIMIT ?`,
  /** Whether the totals row exists (absent in a file written before it). */
  hasTotals: "SELECT 1 FROM webhook_totals WHERE id = 0",
  /** How many records, and their bytes (kept by the triggers). */
  totals: "SELECT n, b FROM webhook_totals WHERE id = 0",
  /**
   * Deletes the records last written before a time: cutoff. Naming every state lets the
   * (state, updated_at) index find them, one range per state.
   */
  purgeOld: `DELETE FROM webhook_deliveries
    WHERE state IN (${DELIVERY_STATES.map((s) => `'${s}'`).join(", ")}) AND updated_at < ?`,
  /** Deletes the oldest final records: how many. */
  purgeOldest: `DELETE FROM webhook_deliveries WHERE id IN (
    SELECT id FROM webhook_deliveries WHERE state = 'final' ORDER BY updated_at LIMIT ?)`,
} as const;
