// Types shared by the --serve middlewares and routes.
import type { Delivery } from "./verify/index.ts";

/** Hono environment of the webhook server: per-request variables set by the middlewares. */
export interface ServeEnv {
  Bindings: {
    /** The peer address, from `Deno.serve`'s handler info. */
    remoteAddr?: { hostname?: string };
  };
  Variables: {
    /** Set by `verifySignature`: who sent this delivery, and its id. */
    delivery: Delivery;
    /** Set by `verifySignature`: the raw body that was verified. */
    rawBody: Uint8Array;
    /** Set once the request is authenticated (signature or read token): rate-limited apart. */
    authenticated: boolean;
    /** Set by routes for the access log. */
    logFields: Record<string, unknown>;
  };
}
