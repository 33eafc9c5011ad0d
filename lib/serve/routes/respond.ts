// Answers the routes share: a rendered delivery record, and a refusal to retry later.
import type { Context } from "../../deps/hono.ts";
import { type Rendered, RETRY_AFTER_SECONDS } from "../dedupe/index.ts";
import type { Refusal } from "../deliveries/index.ts";
import type { ServeEnv } from "../types.ts";

/** Answers a rendered delivery record (its status, JSON body and headers). */
export function send(c: Context<ServeEnv>, r: Rendered): Response {
  return c.body(r.body, r.status as 200, { "content-type": "application/json", ...r.headers });
}

/** Answers 503 with `Retry-After` and `{"error", "message"}`: try again shortly. */
export function unavailable(c: Context<ServeEnv>, error: string, message: string): Response {
  c.header("Retry-After", String(RETRY_AFTER_SECONDS));
  return c.json({ error, message }, 503);
}

/** Answers a delivery the runner refused: 409 (id reused, logged as the reason) or 503. */
export function refused(c: Context<ServeEnv>, r: Refusal): Response {
  if (r.status === 503) return unavailable(c, r.error, r.message);
  c.get("logFields").reason = r.error;
  return c.json({ error: r.error, message: r.message }, r.status);
}
