// The webhook server's Hono app: only the wiring of the middlewares and routes, in order. No
// sockets or signals here (server.ts), no delivery logic (deliveries/).
//
// Middleware order:
//   every route       access log and metrics (accessLog)
//   /v1/*             the failure rate limit (counted after the answer)
//   POST /v1/cancel   content type (415), body size (413), signature over the raw body (401),
//                     the rate limit of authenticated requests (429), the delivery's log fields,
//                     then the route: the payload (400) and the delivery (claimed in the store)
//   GET /v1/cancel/:id  read token or signature (401), the rate limit of authenticated requests
import type { Client } from "../api/client.ts";
import { Hono, type MiddlewareHandler } from "../deps/hono.ts";
import { log } from "../log/log.ts";
import { accessLog } from "./access-log/index.ts";
import { tokenChecker } from "./auth/index.ts";
import type { DeliveryStore } from "./dedupe/index.ts";
import { createDeliveries } from "./deliveries/index.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  limitBody,
  limitClient,
  Semaphore,
  sourceLimits,
} from "./limits/index.ts";
import { Metrics } from "./metrics/index.ts";
import { DEFAULT_MAX_UUIDS } from "./payload/index.ts";
import type { TrustedProxies } from "./proxy/index.ts";
import { cancelRoute, methodNotAllowed } from "./routes/cancel/index.ts";
import { healthRoute, readyRoute } from "./routes/health/index.ts";
import { metricsRoute } from "./routes/metrics/index.ts";
import { readAuth, resultRoute } from "./routes/result/index.ts";
import { detectSender, verifySender } from "./senders/index.ts";
import type { ServeEnv } from "./types.ts";
import { verifySignature, type WebhookSecrets } from "./verify/index.ts";

/** Default sustained requests per second per source on `/v1/*` (burst: twice that). */
export const DEFAULT_RATE_PER_SECOND = 10;
/** Default bound on upstream API requests in flight, all deliveries together. */
export const DEFAULT_UPSTREAM_LIMIT = 32;

/** Everything the app needs; server.ts fills it from flags and the environment. */
export interface WebhookAppOptions {
  /** The ConTree API client. */
  client: Client;
  /** Standard Webhooks and GitHub secrets. */
  secrets: WebhookSecrets;
  /** Where deliveries are claimed and kept. */
  store: DeliveryStore;
  /** Answer 202 and finish in the background when a delivery takes longer (milliseconds). */
  deadlineMs: number;
  /** `Authorization: Bearer` token that may read results (`CONTREE_WEBHOOK_READ_TOKEN`). */
  readToken?: string;
  /** Largest request body (bytes). */
  maxBodyBytes?: number;
  /** Most UUIDs one delivery may name. */
  maxUuids?: number;
  /** Requests per second per source on `/v1/*`; 0 turns the limit off. */
  ratePerSecond?: number;
  /** DELETEs in flight for one delivery. */
  concurrency?: number;
  /** Upstream requests in flight for all deliveries together. */
  upstreamLimit?: number;
  /** How long an accepted (202) delivery is retried in the background, from its arrival. */
  retryForMs?: number;
  /** First pause between background retries (default 1 s). */
  retryBaseMs?: number;
  /** Longest pause between background retries (default 60 s). */
  retryMaxMs?: number;
  /** Claim lease in the store (default 30 s), renewed while this process works on a delivery. */
  leaseMs?: number;
  /** The counters (a fresh set by default). */
  metrics?: Metrics;
  /** Receives one record per request (the access log). */
  accessLog?: (fields: Record<string, unknown>) => void;
  /** Receives one record per delivery that became final: what it cancelled (the audit trail). */
  auditLog?: (fields: Record<string, unknown>) => void;
  /** Slack signing secrets (`CONTREE_SLACK_SIGNING_SECRET`), as HMAC keys. */
  slackKeys?: CryptoKey[];
  /** Only Slack `response_url`s under this prefix are followed (default https://hooks.slack.com/). */
  slackResponsePrefix?: string;
  /** Bearer token of Alertmanager / Grafana deliveries (`CONTREE_WEBHOOK_BEARER`). */
  bearer?: string;
  /** Grafana's HMAC secrets (`CONTREE_GRAFANA_SECRET`), as HMAC keys. */
  grafanaKeys?: CryptoKey[];
  /** Proxies whose `X-Forwarded-For` names the client (`--trust-proxy`). */
  trustProxy?: TrustedProxies;
  /** How long `/readyz` reuses its API check (default 5 s). */
  readyCacheMs?: number;
  /** The `fetch` used for Slack `response_url`s (tests). */
  fetch?: typeof fetch;
  /** The clock (milliseconds since the epoch). */
  now?: () => number;
}

/** A built app plus what server.ts needs to resume work at start and to stop gracefully. */
export interface WebhookApp {
  /** The Hono app (`app.fetch` serves it). */
  app: Hono<ServeEnv>;
  /** Its counters. */
  metrics: Metrics;
  /** Deliveries this process is working on (synchronously or in the background). */
  running(): number;
  /**
   * Takes over the store's `retrying` deliveries whose claim expired (left by a restart or a
   * crashed replica) and retries them; then checks again every lease period.
   */
  resume(): void;
  /**
   * Refuses new deliveries (503), stops waiting between background retries and waits for running
   * attempts up to `graceMs`; after that no new DELETE starts and the listing and cancels are
   * aborted. Unfinished deliveries are stored as `retrying` (resumed at the next start with
   * `--state`), never as a final answer. Resolves true when everything finished in time.
   */
  drain(graceMs: number): Promise<boolean>;
}

/** Builds the webhook app (see the middleware order at the top of this file). */
export async function createWebhookApp(opts: WebhookAppOptions): Promise<WebhookApp> {
  const metrics = opts.metrics ?? new Metrics();
  const { store } = opts;
  const deliveries = createDeliveries({
    client: limitClient(opts.client, new Semaphore(opts.upstreamLimit ?? DEFAULT_UPSTREAM_LIMIT)),
    store,
    metrics,
    concurrency: opts.concurrency,
    retryForMs: opts.retryForMs,
    retryBaseMs: opts.retryBaseMs,
    retryMaxMs: opts.retryMaxMs,
    leaseMs: opts.leaseMs,
    auditLog: opts.auditLog,
    now: opts.now,
  });
  const onReject = (code: string) => metrics.rejected(code);
  const checkToken = opts.readToken ? await tokenChecker(opts.readToken) : undefined;
  const checkBearer = opts.bearer ? await tokenChecker(opts.bearer) : undefined;

  const perSecond = opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
  const limits = perSecond > 0
    ? sourceLimits({ perSecond, key: (c) => c.get("client") ?? "unknown" })
    : undefined;
  const passAuthenticated: MiddlewareHandler<ServeEnv> = limits?.successes ??
    (async (_c, next) => {
      await next();
    });
  const authenticated: MiddlewareHandler<ServeEnv> = async (c, next) => {
    c.set("authenticated", true);
    await next();
  };
  const noteDelivery: MiddlewareHandler<ServeEnv> = async (c, next) => {
    const d = c.get("delivery");
    Object.assign(c.get("logFields"), { delivery: d.id, scheme: d.scheme });
    await next();
  };

  const app = new Hono<ServeEnv>();
  app.use("*", accessLog({ metrics, write: opts.accessLog, trustProxy: opts.trustProxy }));
  if (limits) app.use("/v1/*", limits.failures);
  app.post(
    "/v1/cancel",
    detectSender(),
    limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    verifySender({
      secrets: opts.secrets,
      slackKeys: opts.slackKeys,
      grafanaKeys: opts.grafanaKeys,
      checkBearer,
      now: opts.now,
      onReject,
    }),
    authenticated,
    passAuthenticated,
    noteDelivery,
    cancelRoute({
      deliveries,
      maxUuids: opts.maxUuids ?? DEFAULT_MAX_UUIDS,
      deadlineMs: opts.deadlineMs,
      slackResponsePrefix: opts.slackResponsePrefix,
      fetch: opts.fetch,
    }),
  );
  const verify = verifySignature({ secrets: opts.secrets, now: opts.now, onReject });
  app.get(
    "/v1/cancel/:id",
    readAuth({ checkToken, verify }),
    passAuthenticated,
    resultRoute({ deliveries, store }),
  );
  app.all("/v1/cancel", methodNotAllowed);
  app.get("/healthz", healthRoute(deliveries));
  app.get(
    "/readyz",
    readyRoute({
      client: opts.client,
      deliveries,
      store,
      cacheMs: opts.readyCacheMs,
      now: opts.now,
    }),
  );
  app.get("/metrics", metricsRoute({ metrics, deliveries, store }));
  app.notFound((c) => c.json({ error: "not_found", message: "no such route" }, 404));
  app.onError((e, c) => {
    log.error(`Unexpected error: ${e.name}: ${e.message}`);
    return c.json({ error: "internal_error", message: "internal error" }, 500);
  });

  return {
    app,
    metrics,
    running: () => deliveries.running(),
    resume: () => deliveries.resume(),
    drain: (graceMs) => deliveries.drain(graceMs),
  };
}
