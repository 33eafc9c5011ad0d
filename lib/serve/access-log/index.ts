// The first middleware: sets the per-request variables (client address, log fields), and after
// the answer counts it in the metrics and writes its access-log record.
import type { MiddlewareHandler } from "../../deps/hono.ts";
import type { Metrics } from "../metrics/index.ts";
import { clientAddress, type TrustedProxies } from "../proxy/index.ts";
import type { ServeEnv } from "../types.ts";
import { REASON_OF_STATUS, routeOf } from "./route.ts";

export { REASON_OF_STATUS, routeOf } from "./route.ts";

/** Options of {@link accessLog}. */
export interface AccessLogOptions {
  /** Counts every request by route and status, with its duration. */
  metrics: Metrics;
  /** Receives one record per request (the access log). */
  write?: (fields: Record<string, unknown>) => void;
  /** Proxies whose `X-Forwarded-For` names the client (`--trust-proxy`). */
  trustProxy?: TrustedProxies;
}

/**
 * The access-log middleware (first on every route): sets `logFields`, `authenticated` (false)
 * and `client`, runs the rest, then names the `reason` of an otherwise unexplained 4xx, counts the
 * request and writes one record: time, method, path (cut at 200 characters), route, status,
 * duration, source and whatever the routes put in `logFields`.
 */
export function accessLog(opts: AccessLogOptions): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const started = performance.now();
    c.set("logFields", {});
    c.set("authenticated", false);
    c.set(
      "client",
      clientAddress(c.env?.remoteAddr?.hostname, c.req.header("x-forwarded-for"), opts.trustProxy),
    );
    await next();
    const reason = REASON_OF_STATUS[c.res.status];
    // A 429 replaces whatever answer was refused before it (the failure rate limit).
    if (reason && (c.get("logFields").reason === undefined || c.res.status === 429)) {
      c.get("logFields").reason = reason;
    }
    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c.req.path);
    opts.metrics.request(route, c.res.status, seconds);
    opts.write?.({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}...` : c.req.path,
      route,
      status: c.res.status,
      duration_ms: Math.round(seconds * 1e6) / 1000,
      source: c.get("client"),
      ...c.get("logFields"),
    });
  };
}
