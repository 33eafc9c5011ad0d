// GET /healthz (the process is up and not shutting down) and GET /readyz (the API answers an
// authenticated request and the store takes writes).
import type { Client } from "../../../api/client.ts";
import { ApiError } from "../../../api/errors.ts";
import type { Context } from "../../../deps/hono.ts";
import type { DeliveryStore } from "../../dedupe/index.ts";
import type { Deliveries } from "../../deliveries/index.ts";
import type { ServeEnv } from "../../types.ts";

/** Default time `/readyz` reuses its API check (milliseconds). */
export const DEFAULT_READY_CACHE_MS = 5000;

/** The handler of `GET /healthz`: `ok`, or 503 once shutting down. */
export function healthRoute(deliveries: Deliveries): (c: Context<ServeEnv>) => Response {
  return (c) => deliveries.stopping() ? c.text("shutting down\n", 503) : c.text("ok\n");
}

/** Options of {@link apiCheck} and {@link readyRoute}. */
export interface ReadyOptions {
  /** The API client checked. */
  client: Client;
  /** How long a successful check is reused (a failure: a fifth of it). */
  cacheMs?: number;
  /** Aborts a check in flight (the end of the shutdown grace period). */
  signal?: AbortSignal;
  /** The clock (milliseconds since the epoch). */
  now?: () => number;
}

/**
 * A cached check that the API answers an authenticated request (`GET /v1/operations?limit=1`,
 * 3 s at most): `ok`, `http_<status>` or `unreachable`. One check runs at a time; a success is
 * reused for `cacheMs`, a failure for a fifth of that (a recovery shows soon).
 */
export function apiCheck(opts: ReadyOptions): () => Promise<string> {
  const cacheMs = opts.cacheMs ?? DEFAULT_READY_CACHE_MS;
  const now = opts.now ?? Date.now;
  let last: { at: number; result: Promise<string>; ok: boolean } | undefined;
  return () => {
    if (last && now() - last.at < (last.ok ? cacheMs : cacheMs / 5)) return last.result;
    const signals = [AbortSignal.timeout(3000), ...(opts.signal ? [opts.signal] : [])];
    const result = opts.client.request("GET", "/v1/operations", [["limit", "1"]], {
      signal: AbortSignal.any(signals),
    }).then(
      () => "ok",
      (e) => e instanceof ApiError ? `http_${e.status}` : "unreachable",
    );
    const check = { at: now(), result, ok: true };
    result.then((r) => check.ok = r === "ok");
    last = check;
    return result;
  };
}

/**
 * The handler of `GET /readyz`: 200 `ready` when the API check passes and the store takes
 * writes, else 503 naming the part that failed (`api`, `store`; the log `reason`).
 */
export function readyRoute(
  opts: ReadyOptions & { deliveries: Deliveries; store: DeliveryStore },
): (c: Context<ServeEnv>) => Promise<Response> {
  const checkApi = apiCheck({ ...opts, signal: opts.signal ?? opts.deliveries.signal });
  return async (c) => {
    if (opts.deliveries.stopping()) {
      return c.json({ status: "not_ready", reason: "shutting_down" }, 503);
    }
    let storeState = "ok";
    try {
      if (opts.store.pendingWrites() > 0 || !opts.store.writable()) storeState = "not_writable";
    } catch {
      storeState = "not_writable";
    }
    const api = await checkApi();
    const ready = api === "ok" && storeState === "ok";
    if (!ready) c.get("logFields").reason = api !== "ok" ? `api_${api}` : "store_not_writable";
    return c.json(
      { status: ready ? "ready" : "not_ready", api, store: storeState },
      ready ? 200 : 503,
    );
  };
}
