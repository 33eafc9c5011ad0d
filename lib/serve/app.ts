// The webhook server's Hono app: routes, the order of the middlewares, running deliveries (with a
// deadline) and draining them on shutdown. No sockets or signals here; server.ts wires those.
import type { Client } from "../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../api/errors.ts";
import { listActiveUuids } from "../ops/active.ts";
import { cancelOperations, type CancelReport, DEFAULT_CONCURRENCY } from "../ops/cancel.ts";
import { type Context, Hono, type MiddlewareHandler } from "../deps/hono.ts";
import { log } from "../log/log.ts";
import { type DeliveryStore, type StoredResponse } from "./dedupe/index.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  limitBody,
  limitClient,
  rateLimit,
  requireJson,
  Semaphore,
} from "./limits/index.ts";
import { Metrics } from "./metrics/index.ts";
import { type CancelRequest, DEFAULT_MAX_UUIDS, parseCancelRequest } from "./payload/index.ts";
import type { ServeEnv } from "./types.ts";
import { verifySignature, type WebhookSecrets } from "./verify/index.ts";

/** Default sustained requests per second per source on `/v1/*` (burst: twice that). */
export const DEFAULT_RATE_PER_SECOND = 10;
/** Default bound on upstream API requests in flight, all deliveries together. */
export const DEFAULT_UPSTREAM_LIMIT = 32;

/** Everything the app needs; server.ts fills it from flags and the environment. */
export interface WebhookAppOptions {
  client: Client;
  secrets: WebhookSecrets;
  store: DeliveryStore;
  /** Answer 202 and finish in the background when a delivery takes longer (milliseconds). */
  deadlineMs: number;
  /** `Authorization: Bearer` token that may read results (`CONTREE_WEBHOOK_READ_TOKEN`). */
  readToken?: string;
  maxBodyBytes?: number;
  maxUuids?: number;
  /** Requests per second per source on `/v1/*`; 0 turns the limit off. */
  ratePerSecond?: number;
  /** DELETEs in flight for one delivery. */
  concurrency?: number;
  /** Upstream requests in flight for all deliveries together. */
  upstreamLimit?: number;
  metrics?: Metrics;
  /** Receives one record per request (the access log). */
  accessLog?: (fields: Record<string, unknown>) => void;
  now?: () => number;
}

/** A built app plus what server.ts needs to stop it gracefully. */
export interface WebhookApp {
  app: Hono<ServeEnv>;
  metrics: Metrics;
  /** Deliveries still running. */
  running(): number;
  /**
   * Refuses new deliveries (503) and waits for running ones up to `graceMs`; after that no new
   * DELETE starts (the rest is reported `not_attempted`) and in-flight ones are awaited. Resolves
   * true when everything finished within the grace period.
   */
  drain(graceMs: number): Promise<boolean>;
}

function sleep(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  return { promise, cancel: () => clearTimeout(timer) };
}

/** The route label of a request (bounded cardinality for metrics and logs). */
function routeOf(path: string): string {
  if (path === "/v1/cancel") return "/v1/cancel";
  if (path.startsWith("/v1/cancel/")) return "/v1/cancel/:id";
  if (path === "/healthz" || path === "/metrics") return path;
  return "other";
}

/** The response body for a finished delivery: every outcome, and counts. */
export function resultBody(id: string, report: CancelReport): string {
  const counts = {
    requested: report.outcomes.length + report.notAttempted.length,
    cancelled: 0,
    not_found: 0,
    already_finished: 0,
    failed: 0,
    not_attempted: report.notAttempted.length,
  };
  for (const o of report.outcomes) counts[o.status]++;
  return JSON.stringify({
    id,
    status: report.notAttempted.length ? "incomplete" : "done",
    counts,
    outcomes: report.outcomes.map((o) =>
      o.error === undefined
        ? { uuid: o.uuid, status: o.status }
        : { uuid: o.uuid, status: o.status, error: o.error }
    ),
    not_attempted: report.notAttempted,
  });
}

function pendingBody(id: string): string {
  return JSON.stringify({
    id,
    status: "pending",
    message: "still cancelling; GET the result URL for the outcome",
    result: `/v1/cancel/${encodeURIComponent(id)}`,
  });
}

function send(c: Context<ServeEnv>, r: StoredResponse): Response {
  return c.body(r.body, r.status as 200, { "content-type": "application/json" });
}

/** Constant-time check of a bearer token, through an HMAC under a random per-process key. */
async function tokenChecker(token: string): Promise<(given: string) => Promise<boolean>> {
  const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  const enc = new TextEncoder();
  const expected = await crypto.subtle.sign("HMAC", key, enc.encode(token));
  return (given) => crypto.subtle.verify("HMAC", key, expected, enc.encode(given));
}

/**
 * Builds the webhook app. Middleware order on `POST /v1/cancel`: access log and metrics, rate
 * limit, content type (415), body size (413), signature over the raw body (401), dedupe, then
 * the JSON payload (400), then the cancels.
 */
export async function createWebhookApp(opts: WebhookAppOptions): Promise<WebhookApp> {
  const metrics = opts.metrics ?? new Metrics();
  const store = opts.store;
  const upstream = limitClient(
    opts.client,
    new Semaphore(opts.upstreamLimit ?? DEFAULT_UPSTREAM_LIMIT),
  );
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const running = new Map<string, Promise<StoredResponse>>();
  const checkToken = opts.readToken ? await tokenChecker(opts.readToken) : undefined;
  let stopping = false;
  let hardStop = false;

  const app = new Hono<ServeEnv>();

  app.use("*", async (c, next) => {
    const started = performance.now();
    c.set("logFields", {});
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c.req.path);
    metrics.request(route, c.res.status, seconds);
    opts.accessLog?.({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}...` : c.req.path,
      route,
      status: c.res.status,
      duration_ms: Math.round(seconds * 1e6) / 1000,
      source: c.env?.remoteAddr?.hostname,
      ...c.get("logFields"),
    });
  });

  const rate = (opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND) > 0
    ? rateLimit({ perSecond: opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND })
    : undefined;
  if (rate) app.use("/v1/*", rate);

  const verify = verifySignature({
    secrets: opts.secrets,
    now: opts.now,
    onReject: (problem) => metrics.rejected(problem),
  });

  const noteDelivery: MiddlewareHandler<ServeEnv> = async (c, next) => {
    const d = c.get("delivery");
    Object.assign(c.get("logFields"), { delivery: d.id, scheme: d.scheme });
    await next();
  };

  async function run(
    id: string,
    request: CancelRequest,
  ): Promise<StoredResponse & { transient?: boolean }> {
    let uuids: string[];
    if ("all" in request) {
      try {
        uuids = await listActiveUuids(upstream, { kind: request.kind });
      } catch (e) {
        if (!(e instanceof ApiError || e instanceof NetworkError || e instanceof ResponseError)) {
          throw e;
        }
        metrics.upstreamError(e instanceof ApiError ? String(e.status) : "network");
        return {
          status: 502,
          transient: true,
          body: JSON.stringify({
            id,
            error: "upstream_error",
            message: `listing active operations failed: ${e.message}`,
          }),
        };
      }
    } else {
      uuids = request.uuids;
    }
    const report = await cancelOperations(upstream, uuids, {
      concurrency,
      shouldStop: () => hardStop,
    });
    for (const o of report.outcomes) {
      metrics.cancellation(o.status);
      if (o.status === "failed") {
        metrics.upstreamError(
          o.network ? "network" : /^API (\d+)/.exec(o.error ?? "")?.[1] ?? "other",
        );
      }
    }
    return { status: 200, body: resultBody(id, report) };
  }

  app.post(
    "/v1/cancel",
    requireJson(),
    limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    verify,
    noteDelivery,
    async (c) => {
      const { id } = c.get("delivery");
      const fields = c.get("logFields");
      const stored = store.get(id);
      if (stored) {
        fields.replay = true;
        return send(c, stored);
      }
      if (running.has(id)) {
        fields.replay = true;
        return send(c, { status: 202, body: pendingBody(id) });
      }
      if (stopping) {
        c.header("Retry-After", "5");
        return c.json(
          { error: "shutting_down", message: "the server is shutting down; retry" },
          503,
        );
      }
      const parsed = parseCancelRequest(c.get("rawBody"), opts.maxUuids ?? DEFAULT_MAX_UUIDS);
      if (!parsed.ok) return c.json(parsed.error, 400);

      const state = { answered202: false };
      const job = run(id, parsed.request).then(
        (r) => {
          // A listing failure answered at once is not kept, so the sender's retry runs it again.
          if (!r.transient || state.answered202) store.put(id, { status: r.status, body: r.body });
          return r;
        },
        (e) => {
          log.error(`Unexpected error in delivery ${id}: ${e instanceof Error ? e.message : e}`);
          const r = {
            status: 500,
            body: JSON.stringify({ id, error: "internal_error", message: "internal error" }),
          };
          if (state.answered202) store.put(id, r);
          return r;
        },
      ).finally(() => running.delete(id));
      running.set(id, job);
      const timer = sleep(opts.deadlineMs);
      const result = await Promise.race([job, timer.promise.then(() => undefined)]);
      timer.cancel();
      if (!result) {
        state.answered202 = true;
        fields.deadline_exceeded = true;
        return send(c, { status: 202, body: pendingBody(id) });
      }
      return send(c, result);
    },
  );

  const readAuth: MiddlewareHandler<ServeEnv> = async (c, next) => {
    const auth = c.req.header("authorization");
    if (auth !== undefined && /^bearer /i.test(auth)) {
      if (checkToken && await checkToken(auth.slice(7).trim())) return next();
      return c.json({ error: "unauthorized", message: "bearer token not accepted" }, 401);
    }
    return verify(c, next);
  };

  app.get("/v1/cancel/:id", readAuth, (c) => {
    const id = c.req.param("id");
    const stored = store.get(id);
    if (stored) return send(c, stored);
    if (running.has(id)) return send(c, { status: 202, body: pendingBody(id) });
    return c.json({ error: "not_found", message: "no delivery with this id is known" }, 404);
  });

  app.all("/v1/cancel", (c) => {
    c.header("Allow", "POST");
    return c.json({ error: "method_not_allowed", message: "use POST" }, 405);
  });

  app.get("/healthz", (c) => stopping ? c.text("shutting down\n", 503) : c.text("ok\n"));

  app.get("/metrics", (c) =>
    c.text(
      metrics.render({
        contree_serve_deliveries_running: running.size,
        contree_serve_deliveries_stored: store.size(),
      }),
      200,
      { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    ));

  app.notFound((c) => c.json({ error: "not_found", message: "no such route" }, 404));
  app.onError((e, c) => {
    log.error(`Unexpected error: ${e.name}: ${e.message}`);
    return c.json({ error: "internal_error", message: "internal error" }, 500);
  });

  return {
    app,
    metrics,
    running: () => running.size,
    async drain(graceMs) {
      stopping = true;
      const all = () => Promise.allSettled([...running.values()]);
      const timer = sleep(graceMs);
      const inTime = await Promise.race([all().then(() => true), timer.promise.then(() => false)]);
      timer.cancel();
      if (!inTime) {
        hardStop = true;
        await all();
      }
      return inTime;
    },
  };
}
