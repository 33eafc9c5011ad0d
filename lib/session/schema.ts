/**
 * The original contree CLI's session database schema, with its column defaults, so
 * a database we create is one the original can open and vice versa. Every statement is
 * idempotent ("if not exists"), as the original runs them on every open.
 */
export const SESSION_SCHEMA = `
CREATE TABLE IF NOT EXISTS session_state (
  session_key TEXT PRIMARY KEY,
  active_branch TEXT NOT NULL DEFAULT 'main',
  cwd TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
);
CREATE TABLE IF NOT EXISTS session_branches (
  session_key TEXT NOT NULL,
  branch_name TEXT NOT NULL,
  history_id INTEGER NOT NULL,
  PRIMARY KEY (session_key, branch_name)
);
CREATE TABLE IF NOT EXISTS session_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_key TEXT NOT NULL,
  image_uuid TEXT NOT NULL,
  parent_id INTEGER NULL,
  kind TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  operation_uuid TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_session_history_session ON session_history (session_key);
CREATE INDEX IF NOT EXISTS idx_session_history_parent ON session_history (parent_id);
CREATE TABLE IF NOT EXISTS image_cache (
  image_uuid TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (image_uuid, kind)
);
CREATE INDEX IF NOT EXISTS idx_image_cache_kind ON image_cache (kind);
`;

/** `<CONTREE_HOME>/cli/sessions/<profile>.db`, or `CONTREE_SESSION_DB` when set. */
export function sessionDbPath(
  home: string,
  profile: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return env.CONTREE_SESSION_DB || `${home}/cli/sessions/${profile}.db`;
}
