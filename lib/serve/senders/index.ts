// Hono middlewares of the senders: which sender a request names (and its content type), then its
// signature or token over the raw body. The sender-specific work is in detect.ts and interpret.ts.
import type { MiddlewareHandler } from "../../deps/hono.ts";
import type { ServeEnv } from "../types.ts";
import { type RejectCode, unauthorized } from "../verify/index.ts";
import { contentTypesOf, type SenderKeys, senderOf, senderVerifier } from "./detect.ts";
import { mediaType } from "./github/index.ts";

export { contentTypesOf, type SenderKeys, senderOf, senderVerifier } from "./detect.ts";
export { interpretDelivery, type Interpreted } from "./interpret.ts";

/**
 * Middleware: sets `sender` from the request's headers and answers 415 when the `Content-Type`
 * is not one that sender posts (JSON, unless GitHub or Slack).
 */
export function detectSender(): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const sender = senderOf(c.req.raw.headers);
    if (sender) c.set("sender", sender);
    const allowed = contentTypesOf(sender);
    const type = mediaType(c.req.header("content-type"));
    if (!type || !allowed.includes(type)) {
      c.get("logFields").reason = "unsupported_media_type";
      return c.json({
        error: "unsupported_media_type",
        message: `Content-Type must be ${allowed.join(" or ")}`,
      }, 415);
    }
    await next();
  };
}

/** Options of {@link verifySender}. */
export interface VerifySenderOptions extends SenderKeys {
  /** The clock (milliseconds since the epoch). */
  now?: () => number;
  /** Called on a rejected request (metrics): the problem's short code. */
  onReject?: (code: RejectCode) => void;
}

/**
 * Middleware: checks the request as its sender (set by {@link detectSender}) signs or authorises
 * it, over the raw body; 401 when refused. On success the delivery and the raw body are in
 * `c.var.delivery` / `c.var.rawBody`.
 */
export function verifySender(opts: VerifySenderOptions): MiddlewareHandler<ServeEnv> {
  const verify = senderVerifier(opts);
  const now = opts.now ?? Date.now;
  return async (c, next) => {
    const raw = c.req.raw.body ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array(0);
    const v = await verify(c.get("sender"), c.req.raw.headers, raw, now());
    if (!v.ok) return unauthorized(c, v, opts.onReject);
    c.set("delivery", v.delivery);
    c.set("rawBody", raw);
    await next();
  };
}
