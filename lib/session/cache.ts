// The operation result cache: terminal `show` payloads kept in the session database's
// `image_cache` table (kind 'operation'), shared with the original CLI. The database is created
// with the original's schema when missing .
import { Buffer } from "node:buffer";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Env } from "../cli/io.ts";
import { log } from "../log/log.ts";
import { dumps, parseJson } from "../output/pyjson.ts";
import { dbTimeoutMs } from "./session.ts";
import { sessionDbPath } from "./schema.ts";
import { SESSION_SCHEMA } from "./schema.ts";

/** Values up to this many characters are stored as `json:<text>`, longer ones gzipped. */
export const INLINE_LIMIT = 1024;

/** Encodes a payload as the original stores it: `json:<text>` or `gzip:<base64>`. */
export function encodeCacheValue(payload: unknown): string {
  const text = dumps(payload);
  if (text.length <= INLINE_LIMIT) return `json:${text}`;
  return `gzip:${Buffer.from(gzipSync(new TextEncoder().encode(text))).toString("base64")}`;
}

/** Decodes a stored value (`json:`, `gzip:` or plain JSON). Throws on garbage. */
export function decodeCacheValue(value: string): unknown {
  if (value.startsWith("json:")) return parseJson(value.slice(5));
  if (value.startsWith("gzip:")) {
    return parseJson(new TextDecoder().decode(gunzipSync(Buffer.from(value.slice(5), "base64"))));
  }
  return parseJson(value);
}

/** The operation cache of one profile. */
export interface OperationCache {
  /** The cached payload of a terminal operation, if any. */
  get(uuid: string): Record<string, unknown> | undefined;
  /** Stores a terminal operation's payload. */
  put(uuid: string, payload: unknown): void;
  /** Closes the database. */
  close(): void;
}

/**
 * Opens (creating if needed) the profile's session database for the operation cache. The file
 * is opened on first use. A cache that cannot be read or written is logged at debug level and
 * otherwise ignored: `show` then simply asks the API.
 *
 * @example
 * ```ts
 * const home = Deno.makeTempDirSync(); // the CONTREE_HOME
 * try {
 *   const cache = openOperationCache(home, "default", {});
 *   cache.get("019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"); // payload or undefined
 *   cache.close();
 * } finally {
 *   Deno.removeSync(home, { recursive: true });
 * }
 * ```
 */
export function openOperationCache(home: string, profile: string, env: Env): OperationCache {
  const path = sessionDbPath(home, profile, env);
  let db: DatabaseSync | undefined;
  let stmts: { get: StatementSync; put: StatementSync } | undefined;
  let broken = false;

  function open() {
    if (stmts || broken) return stmts;
    try {
      const dir = path.replace(/[\\/][^\\/]*$/, "");
      if (dir && dir !== path) Deno.mkdirSync(dir, { recursive: true });
      db = new DatabaseSync(path);
      db.exec(`PRAGMA busy_timeout = ${dbTimeoutMs(env)}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(SESSION_SCHEMA);
      stmts = {
        get: db.prepare(
          "SELECT value FROM image_cache WHERE image_uuid = ? AND kind = 'operation'",
        ),
        put: db.prepare(
          "INSERT OR REPLACE INTO image_cache (image_uuid, kind, value) VALUES (?, 'operation', ?)",
        ),
      };
    } catch (e) {
      broken = true;
      log.debug(`Operation cache ${path} unavailable: ${(e as Error).message}`);
    }
    return stmts;
  }

  return {
    get(uuid) {
      const s = open();
      if (!s) return undefined;
      try {
        const row = s.get.get(uuid) as { value?: string } | undefined;
        if (typeof row?.value !== "string") return undefined;
        const payload = decodeCacheValue(row.value);
        if (payload && typeof payload === "object" && !Array.isArray(payload)) {
          log.debug(`Operation ${uuid} from cache`);
          return payload as Record<string, unknown>;
        }
      } catch (e) {
        log.debug(`Operation cache entry ${uuid} unreadable: ${(e as Error).message}`);
      }
      return undefined;
    },
    put(uuid, payload) {
      const s = open();
      if (!s) return;
      try {
        s.put.run(uuid, encodeCacheValue(payload));
      } catch (e) {
        log.debug(`Operation cache write for ${uuid} failed: ${(e as Error).message}`);
      }
    },
    close() {
      db?.close();
    },
  };
}
