// `kill --dry-run`: the operations a cancel would act on, as rows, without any DELETE.
import type { Client } from "../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../api/errors.ts";
import { fetchOperation, InvalidUuidError, type Operation } from "../api/operations.ts";
import { orderedPool } from "../async/pool.ts";
import { log } from "../log/log.ts";
import { distinctTargets } from "./cancel.ts";

/** One row of the preview: what a cancel would act on. */
export interface PreviewRow {
  /** The operation (canonical UUID). */
  uuid: string;
  /** Its kind, when known. */
  kind: string | null;
  /** Its status, when known. */
  status: string | null;
  /** When it was created, when known. */
  created_at: string | null;
  /** Set when the look-up failed (the row then has only the UUID). */
  error?: string;
}

const text = (v: unknown) => (typeof v === "string" ? v : null);

/**
 * A listed operation as a preview row.
 *
 * @example
 * ```ts
 * previewRow({ uuid: "u", kind: "instance", status: "PENDING", created_at: "2026-01-01T00:00:00Z" });
 * // { uuid: "u", kind: "instance", status: "PENDING", created_at: "2026-01-01T00:00:00Z" }
 * ```
 */
export function previewRow(op: Operation): PreviewRow {
  return {
    uuid: op.uuid,
    kind: text(op.kind),
    status: text(op.status),
    created_at: text(op.created_at),
  };
}

/** Options of {@link previewOperations}. */
export interface PreviewOptions {
  /** Look-ups in flight (default 8). */
  concurrency?: number;
  /** Aborts the look-ups (`Interrupted`). */
  signal?: AbortSignal;
}

/**
 * Preview rows of explicitly named operations: the distinct targets a real cancel would send a
 * DELETE for, each looked up with `GET /v1/operations/{uuid}` (read-only). A failed look-up
 * (404, …) logs a WARNING and gives a row with only the UUID; a text that is not a UUID logs the
 * real run's ERROR and gives no row (`invalid` counts them).
 *
 * @example
 * ```ts
 * import { createClient } from "../api/client.ts";
 * const uuid = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";
 * const fetch = () => Promise.resolve(Response.json({ uuid, kind: "instance", status: "PENDING" }));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * const { rows } = await previewOperations(client, [uuid]);
 * rows[0].status; // "PENDING"
 * ```
 */
export async function previewOperations(
  client: Client,
  uuids: readonly string[],
  opts: PreviewOptions = {},
): Promise<{ rows: PreviewRow[]; invalid: number }> {
  const targets = distinctTargets(uuids);
  const rows: PreviewRow[] = [];
  let invalid = 0;
  await orderedPool(
    targets.uuids,
    opts.concurrency ?? 8,
    async (uuid, i): Promise<PreviewRow | Error> => {
      if (targets.invalid.has(i)) return new InvalidUuidError(uuid);
      try {
        const op = await fetchOperation(client, uuid, { signal: opts.signal });
        return { ...previewRow(op), uuid };
      } catch (e) {
        if (e instanceof ApiError || e instanceof NetworkError || e instanceof ResponseError) {
          return { uuid, kind: null, status: null, created_at: null, error: e.message };
        }
        throw e;
      }
    },
    (_, row) => {
      if (row instanceof Error) {
        invalid++;
        log.error(row.message);
        return;
      }
      if (row.error) log.warning(`Cannot look up operation ${row.uuid}: ${row.error}`);
      rows.push(row);
    },
  );
  return { rows, invalid };
}
