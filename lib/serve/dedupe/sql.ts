// The SQL of the `--state` file: its schema and every statement the SQLite store runs, in one
// place, so a test can check each statement's query plan against the schema.

/** The schema, created if missing when a store opens the file (in this order). */
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
];

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
  /** How many records, and their bytes. */
  totals: "SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM webhook_deliveries",
  /** Deletes the records last written before a time: cutoff. */
  purgeOld: "DELETE FROM webhook_deliveries WHERE updated_at < ?",
  /** Deletes the oldest final records: how many. */
  purgeOldest: `DELETE FROM webhook_deliveries WHERE id IN (
    SELECT id FROM webhook_deliveries WHERE state = 'final' ORDER BY updated_at LIMIT ?)`,
} as const;
