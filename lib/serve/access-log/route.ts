// Labels of requests for the access log and the metrics (bounded cardinality).

/**
 * The route label of a request path: one of the server's routes, or `other`, so metrics and log
 * lines never carry an unbounded set of paths as labels.
 *
 * @example
 * ```ts
 * import { routeOf } from "./route.ts";
 * routeOf("/v1/cancel/abc"); // "/v1/cancel/:id"
 * routeOf("/wp-login.php"); // "other"
 * ```
 */
export function routeOf(path: string): string {
  if (path === "/v1/cancel") return "/v1/cancel";
  if (path.startsWith("/v1/cancel/")) return "/v1/cancel/:id";
  if (path === "/healthz" || path === "/readyz" || path === "/metrics") return path;
  return "other";
}

/** Short reason codes of 4xx answers that no route named (the access log's `reason`). */
export const REASON_OF_STATUS: Readonly<Record<number, string>> = {
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};
