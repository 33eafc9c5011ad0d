// Types shared by the --serve middlewares and routes.

/** The senders the server recognises (signature scheme or authorisation). */
export type Scheme = "standard" | "github" | "slack" | "alertmanager" | "grafana";

/** What a verified request is: its scheme and delivery id. */
export interface Delivery {
  /** Which signature scheme the request used. */
  scheme: Scheme;
  /** The delivery id (`webhook-id` or `X-GitHub-Delivery`), the dedupe key. */
  id: string;
  /** Standard Webhooks only: the signed `webhook-timestamp` (seconds). */
  timestamp?: number;
}

/** Hono environment of the webhook server: per-request variables set by the middlewares. */
export interface ServeEnv {
  /** What the server passes into each request. */
  Bindings: {
    /** The peer address, from `Deno.serve`'s handler info. */
    remoteAddr?: { hostname?: string };
  };
  /** What the middlewares set for the routes. */
  Variables: {
    /** Set by `verifySignature`: who sent this delivery, and its id. */
    delivery: Delivery;
    /** Set by `verifySignature`: the raw body that was verified. */
    rawBody: Uint8Array;
    /** Set once the request is authenticated (signature or read token): rate-limited apart. */
    authenticated: boolean;
    /** Set by routes for the access log. */
    logFields: Record<string, unknown>;
    /** The sender the request's headers name (before verification). */
    sender?: Scheme;
    /** The client address: the peer, or from X-Forwarded-For behind a trusted proxy. */
    client?: string;
  };
}
