// Abuse limits of the webhook server: body size (413), content type (415), a per-source rate
// limit (429 + Retry-After) and a bound on concurrent upstream API requests.
import type { ApiResponse, Client } from "../../api/client.ts";
import { bodyLimit, type MiddlewareHandler } from "../../deps/hono.ts";
import type { ServeEnv } from "../types.ts";
import type { Semaphore } from "../../async/semaphore.ts";

/** Default largest request body: 64 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * 413 with a JSON error when the body is larger than `maxBytes`: decided from `Content-Length`
 * before reading anything, or while streaming a chunked body, as soon as the limit is passed.
 * Must run before anything reads the body.
 */
export function limitBody(maxBytes = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler<ServeEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      c.json({
        error: "payload_too_large",
        message: `request body is larger than ${maxBytes} bytes`,
      }, 413),
  });
}

/** 415 with a JSON error unless the request says `Content-Type: application/json`. */
export function requireJson(): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const type = c.req.header("content-type")?.split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      return c.json({
        error: "unsupported_media_type",
        message: "Content-Type must be application/json",
      }, 415);
    }
    await next();
  };
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Sustained requests per second per source. */
  perSecond: number;
  /** Requests a source may send at once (default 2 × perSecond, at least 1). */
  burst?: number;
  /** Sources tracked at once; the oldest is forgotten beyond that (default 10,000). */
  maxSources?: number;
  /** Key of a request's source (default: the peer address). */
  key?: (c: Parameters<MiddlewareHandler<ServeEnv>>[0]) => string;
  /** The clock (milliseconds since the epoch; tests). */
  now?: () => number;
}

/** A token bucket per key: `take(key)` returns 0 when allowed, else seconds until one is. */
export function tokenBuckets(
  opts: { perSecond: number; burst?: number; maxSources?: number; now?: () => number },
): { take(key: string): number; size(): number } {
  const rate = opts.perSecond;
  const burst = opts.burst ?? Math.max(1, rate * 2);
  const max = opts.maxSources ?? 10_000;
  const now = opts.now ?? performance.now.bind(performance);
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= max) buckets.delete(buckets.keys().next().value!);
        b = { tokens: burst, at: t };
        buckets.set(key, b);
      } else {
        b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
        b.at = t;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / rate));
    },
    size: () => buckets.size,
  };
}

/** 429 with `Retry-After` (seconds) when a source sends faster than its token bucket allows. */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler<ServeEnv> {
  const buckets = tokenBuckets(opts);
  const key = opts.key ?? ((c) => c.env?.remoteAddr?.hostname ?? "unknown");
  return async (c, next) => {
    const wait = buckets.take(key(c));
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return c.json({
        error: "rate_limited",
        message: `too many requests from this source; retry after ${wait} s`,
      }, 429);
    }
    await next();
  };
}

/** The two halves of {@link sourceLimits}. */
export interface SourceLimits {
  /**
   * Goes first: after the request was handled, a request that was not authenticated (401, 404,
   * 413, 415…) takes a token from the source's failure bucket; when there is none, the answer
   * becomes `429` with `Retry-After`. Forged requests are cheap to reject (the signature is
   * checked before any work), so they are counted only against other failures.
   */
  failures: MiddlewareHandler<ServeEnv>;
  /** Goes after authentication: an authenticated request takes a token from its own bucket. */
  successes: MiddlewareHandler<ServeEnv>;
}

/**
 * Per-source rate limits counted separately for failed and authenticated requests, so a flood of
 * forged requests from an address cannot starve the signed ones from it.
 *
 * @example
 * ```ts
 * import { Hono } from "../../deps/hono.ts";
 * import type { ServeEnv } from "../types.ts";
 * const limits = sourceLimits({ perSecond: 1, burst: 1, key: () => "k" });
 * const app = new Hono<ServeEnv>();
 * app.use(limits.failures);
 * app.get("/", (c) => c.text("forged", 401));
 * (await app.request("/")).status; // 401
 * (await app.request("/")).status; // 429
 * ```
 */
export function sourceLimits(opts: RateLimitOptions): SourceLimits {
  const failed = tokenBuckets(opts);
  const succeeded = tokenBuckets(opts);
  const key = opts.key ?? ((c) => c.env?.remoteAddr?.hostname ?? "unknown");
  const tooMany = (wait: number) =>
    JSON.stringify({
      error: "rate_limited",
      message: `too many requests from this source; retry after ${wait} s`,
    });
  return {
    async failures(c, next) {
      await next();
      if (c.get("authenticated") || c.res.status < 400) return;
      const wait = failed.take(key(c));
      if (wait > 0) {
        c.res = undefined; // a fresh response, without the rejected one's headers
        c.res = new Response(tooMany(wait), {
          status: 429,
          headers: { "content-type": "application/json", "Retry-After": String(wait) },
        });
      }
    },
    async successes(c, next) {
      const wait = succeeded.take(key(c));
      if (wait > 0) {
        c.header("Retry-After", String(wait));
        return c.body(tooMany(wait), 429, { "content-type": "application/json" });
      }
      await next();
    },
  };
}

// The semaphore lives in lib/async (one for the whole program); re-exported for the server.
export { Semaphore } from "../../async/semaphore.ts";

/**
 * Wraps an API client so that all requests through it, from every delivery together, hold one of
 * the semaphore's permits: the bound on concurrent upstream cancels.
 */
export function limitClient(client: Client, semaphore: Semaphore): Client {
  return {
    request: (method, path, query, opts): Promise<ApiResponse> =>
      semaphore.run(() => client.request(method, path, query, opts)),
    getJson: (path, query, opts) => semaphore.run(() => client.getJson(path, query, opts)),
  };
}
