// The webhook server's Hono app: routes, the order of the middlewares, running deliveries (with a
// deadline), retrying unfinished ones in the background and draining them on shutdown. No sockets
// or signals here; server.ts wires those.
//
// The delivery contract: 200 means final (every UUID cancelled, not_found, already_finished or a
// 4xx that retrying cannot fix); 202 means this server keeps working on it (GET shows progress);
// 503 + Retry-After means some UUIDs failed retryably and the sender's retry re-attempts only those.
import type { Client } from "../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../api/errors.ts";
import { delay } from "../async/delay.ts";
import { listActiveUuids } from "../ops/active.ts";
import { cancelOperations, type CancelOutcome, DEFAULT_CONCURRENCY } from "../ops/cancel.ts";
import { type Context, Hono, type MiddlewareHandler } from "../deps/hono.ts";
import { log } from "../log/log.ts";
import {
  type DeliveryRecord,
  type DeliveryStore,
  isComplete,
  type Rendered,
  renderRecord,
  RETRY_AFTER_SECONDS,
  shortError,
  StoreBusyError,
  type UuidCode,
} from "./dedupe/index.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  limitBody,
  limitClient,
  Semaphore,
  sourceLimits,
} from "./limits/index.ts";
import { Metrics } from "./metrics/index.ts";
import { type CancelRequest, DEFAULT_MAX_UUIDS, parseCancelRequest } from "./payload/index.ts";
import { clientAddress, type TrustedProxies } from "./proxy/index.ts";
import {
  GRAFANA_SIGNATURE_HEADER,
  GRAFANA_TIMESTAMP_HEADER,
  interpretAlerts,
  verifyGrafana,
} from "./senders/alertmanager/index.ts";
import { eventName, interpretGithub, mediaType } from "./senders/github/index.ts";
import {
  ephemeral,
  parseSlackCommand,
  postSlackResponse,
  SLACK_ANSWER_MS,
  slackEscape,
  slackSummary,
} from "./senders/slack/index.ts";
import { answer, type Interpretation } from "./senders/types.ts";
import type { ServeEnv } from "./types.ts";
import {
  reject,
  type Scheme,
  unauthorized,
  type Verification,
  verifyRequest,
  verifySignature,
  type WebhookSecrets,
} from "./verify/index.ts";
import { verifySlack } from "./senders/slack/index.ts";

/** Default sustained requests per second per source on `/v1/*` (burst: twice that). */
export const DEFAULT_RATE_PER_SECOND = 10;
/** Default bound on upstream API requests in flight, all deliveries together. */
export const DEFAULT_UPSTREAM_LIMIT = 32;
/** Default time a `202` delivery is retried in the background (`CONTREE_WEBHOOK_RETRY_FOR`). */
export const DEFAULT_RETRY_FOR_MS = 3600_000;
/** Default claim lease: a crashed process's deliveries can be taken over after this long. */
export const DEFAULT_LEASE_MS = 30_000;

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
  /** How long an accepted (202) delivery is retried in the background, from its arrival. */
  retryForMs?: number;
  /** First and longest pause between background retries (default 1 s and 60 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Claim lease in the store (default 30 s), renewed while this process works on a delivery. */
  leaseMs?: number;
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
  now?: () => number;
}

/** A built app plus what server.ts needs to resume work at start and to stop gracefully. */
export interface WebhookApp {
  app: Hono<ServeEnv>;
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

/** The route label of a request (bounded cardinality for metrics and logs). */
function routeOf(path: string): string {
  if (path === "/v1/cancel") return "/v1/cancel";
  if (path.startsWith("/v1/cancel/")) return "/v1/cancel/:id";
  if (path === "/healthz" || path === "/readyz" || path === "/metrics") return path;
  return "other";
}

function send(c: Context<ServeEnv>, r: Rendered): Response {
  return c.body(r.body, r.status as 200, { "content-type": "application/json", ...r.headers });
}

function unavailable(c: Context<ServeEnv>, error: string, message: string): Response {
  c.header("Retry-After", String(RETRY_AFTER_SECONDS));
  return c.json({ error, message }, 503);
}

/** The HTTP status of a failed outcome, from the outcome or its error text. */
function httpStatusOf(o: CancelOutcome): number | undefined {
  if (typeof o.httpStatus === "number") return o.httpStatus;
  const m = /^API (\d{3})\b/.exec(o.error ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * The stored code of an outcome: final ones, a 4xx that retrying cannot fix (`f`), or a retryable
 * failure (`r`: 5xx, 408, 425, 429, network or no status).
 */
export function outcomeCode(o: CancelOutcome): UuidCode {
  if (o.status === "cancelled") return "c";
  if (o.status === "not_found") return "n";
  if (o.status === "already_finished") return "a";
  if (o.invalid) return "f";
  const status = httpStatusOf(o);
  if (o.network || status === undefined) return "r";
  if (status >= 500 || status === 408 || status === 425 || status === 429) return "r";
  return status >= 400 ? "f" : "r";
}

/** Rejects as soon as `signal` aborts, whether or not `promise` listens to it. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return digest.toHex();
}

/** The sender a request's headers name (checked in this order); undefined when none. */
export function senderOf(h: Headers): Scheme | undefined {
  if (h.has("webhook-signature") || h.has("webhook-id") || h.has("webhook-timestamp")) {
    return "standard";
  }
  if (h.has("x-slack-signature") || h.has("x-slack-request-timestamp")) return "slack";
  if (h.has(GRAFANA_SIGNATURE_HEADER)) return "grafana";
  if (h.has("x-hub-signature-256") || h.has("x-github-event")) return "github";
  if (/^bearer\s/i.test(h.get("authorization") ?? "")) return "alertmanager";
  return undefined;
}

/** Content types each sender may use (the first is the one named in a 415). */
const CONTENT_TYPES: Record<string, string[]> = {
  github: ["application/json", "application/x-www-form-urlencoded"],
  slack: ["application/x-www-form-urlencoded"],
};

/** Short reason codes of 4xx answers that no route named (access log). */
const REASON_OF_STATUS: Record<number, string> = {
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

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

/** A delivery this process works on. */
interface Active {
  record: DeliveryRecord;
  /** Aborted by a replay of a `retrying` delivery: retry at once. */
  wake: AbortController;
}

/**
 * Builds the webhook app. Middleware order on `POST /v1/cancel`: access log and metrics, the
 * failure rate limit (counted after the answer), content type (415), body size (413), signature
 * over the raw body (401), the rate limit of authenticated requests (429), the delivery record
 * (claimed atomically in the store), then the JSON payload (400), then the cancels.
 */
export async function createWebhookApp(opts: WebhookAppOptions): Promise<WebhookApp> {
  const metrics = opts.metrics ?? new Metrics();
  const store = opts.store;
  const now = opts.now ?? Date.now;
  const upstream = limitClient(
    opts.client,
    new Semaphore(opts.upstreamLimit ?? DEFAULT_UPSTREAM_LIMIT),
  );
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const retryForMs = opts.retryForMs ?? DEFAULT_RETRY_FOR_MS;
  const retryBaseMs = opts.retryBaseMs ?? 1000;
  const retryMaxMs = opts.retryMaxMs ?? 60_000;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const checkToken = opts.readToken ? await tokenChecker(opts.readToken) : undefined;
  const checkBearer = opts.bearer ? await tokenChecker(opts.bearer) : undefined;
  const maxUuids = opts.maxUuids ?? DEFAULT_MAX_UUIDS;
  /** Called when a delivery becomes final (Slack's delayed answer). */
  const followUps = new Map<string, (r: DeliveryRecord) => void>();
  const owner = crypto.randomUUID();
  const active = new Map<string, Active>();
  /** Every attempt and background loop, for the drain. */
  const tasks = new Set<Promise<unknown>>();
  /** Aborted when draining starts: background loops stop waiting. */
  const quit = new AbortController();
  /** Aborted when the grace period is over: listings and cancels stop. */
  const hard = new AbortController();
  let stopping = false;
  let timers: ReturnType<typeof setInterval>[] = [];

  const track = <T>(p: Promise<T>): Promise<T> => {
    tasks.add(p);
    p.finally(() => tasks.delete(p)).catch(() => {});
    return p;
  };
  const lease = () => now() + leaseMs;

  function save(r: DeliveryRecord): void {
    r.updatedAt = now();
    try {
      store.save(r);
    } catch (e) {
      log.error(`Cannot store delivery ${r.id}: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** A delivery became final: the audit line, and its sender's follow-up (Slack). */
  function finished(r: DeliveryRecord): void {
    const uuids = r.uuids ?? [];
    const cancelled: string[] = [];
    const others: Record<string, unknown>[] = [];
    for (let i = 0; i < uuids.length; i++) {
      const code = r.codes[i] ?? "p";
      if (code === "c") {
        cancelled.push(uuids[i]);
        continue;
      }
      const rendered: Record<string, unknown> = {
        uuid: uuids[i],
        status: code === "n"
          ? "not_found"
          : code === "a"
          ? "already_finished"
          : code === "p"
          ? "not_attempted"
          : "failed",
      };
      if (r.errors[uuids[i]] !== undefined) rendered.error = r.errors[uuids[i]];
      others.push(rendered);
    }
    opts.auditLog?.({
      time: new Date(now()).toISOString(),
      event: "audit",
      delivery: r.id,
      ...(r.sender ? { sender: r.sender } : {}),
      request: r.all ? { all: true, ...(r.all.kind ? { kind: r.all.kind } : {}) } : "uuids",
      status: r.gaveUp ? "gave_up" : "done",
      cancelled,
      outcomes: others,
    });
    const follow = followUps.get(r.id);
    if (follow) {
      followUps.delete(r.id);
      follow(r);
    }
  }

  function apply(r: DeliveryRecord, index: number, o: CancelOutcome): void {
    const code = outcomeCode(o);
    r.codes = r.codes.slice(0, index) + code + r.codes.slice(index + 1);
    if ((code === "f" || code === "r") && o.error !== undefined) {
      r.errors[o.uuid] = shortError(o.error);
    } else {
      delete r.errors[o.uuid];
    }
    metrics.cancellation(o.status);
    if (o.status === "failed") {
      const status = httpStatusOf(o);
      metrics.upstreamError(o.network ? "network" : status ? String(status) : "other");
    }
  }

  /** One attempt: the listing (for `all`, until it succeeds), then every UUID not yet final. */
  async function attemptOnce(a: Active): Promise<void> {
    const r = a.record;
    if (r.uuids === null) {
      try {
        const listOpts = { kind: r.all?.kind, signal: hard.signal };
        const uuids = await abortable(listActiveUuids(upstream, listOpts), hard.signal);
        r.uuids = uuids;
        r.codes = "p".repeat(uuids.length);
        delete r.listingError;
      } catch (e) {
        if (hard.signal.aborted) {
          r.listingError ??= "not attempted: the server is shutting down";
          return;
        }
        if (!(e instanceof ApiError || e instanceof NetworkError || e instanceof ResponseError)) {
          throw e;
        }
        metrics.upstreamError(e instanceof ApiError ? String(e.status) : "network");
        r.listingError = shortError(e.message);
        return;
      }
    }
    const uuids = r.uuids;
    const todo: number[] = [];
    for (let i = 0; i < uuids.length; i++) if (!"cnaf".includes(r.codes[i])) todo.push(i);
    if (!todo.length) return;
    let lastSave = now();
    // Each outcome finds its index in O(1) (a scan per outcome is quadratic for `all`).
    const indexOf = new Map<string, number>();
    for (const j of todo) if (!indexOf.has(uuids[j])) indexOf.set(uuids[j], j);
    const cancelOpts = {
      concurrency,
      shouldStop: () => hard.signal.aborted,
      signal: hard.signal,
      onOutcome: (o: CancelOutcome) => {
        if (hard.signal.aborted && active.get(r.id)?.record !== r) return;
        const i = indexOf.get(o.uuid);
        if (i !== undefined) apply(r, i, o);
        if (now() - lastSave > 1000) {
          lastSave = now();
          save(r);
        }
      },
    };
    try {
      await abortable(
        cancelOperations(upstream, todo.map((i) => uuids[i]), cancelOpts),
        hard.signal,
      );
    } catch (e) {
      if (!hard.signal.aborted) throw e;
    }
  }

  async function attemptSafely(a: Active): Promise<void> {
    try {
      await attemptOnce(a);
    } catch (e) {
      log.error(
        `Unexpected error in delivery ${a.record.id}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  /** Background retries of an accepted delivery, with back-off, until final or given up. */
  async function retryLoop(a: Active, firstWaitMs: number): Promise<void> {
    const r = a.record;
    let wait = firstWaitMs;
    try {
      while (!quit.signal.aborted) {
        const left = r.createdAt + retryForMs - now();
        if (left <= 0) {
          r.state = "final";
          r.gaveUp = true;
          log.warning(`Delivery ${r.id}: gave up retrying after ${retryForMs / 1000}s`);
          break;
        }
        if (wait > 0) {
          try {
            await delay(Math.min(wait, left), AbortSignal.any([quit.signal, a.wake.signal]));
          } catch { /* woken by a replay, or stopping */ }
          if (a.wake.signal.aborted) a.wake = new AbortController();
          if (quit.signal.aborted) break;
        }
        await attemptSafely(a);
        if (isComplete(r)) {
          r.state = "final";
          break;
        }
        save(r);
        wait = Math.min(Math.max(wait * 2, retryBaseMs), retryMaxMs);
      }
    } finally {
      if (r.state !== "final") r.leaseUntil = 0; // released: resumed at the next start
      save(r);
      active.delete(r.id);
      if (r.state === "final") finished(r);
    }
  }

  /** After a synchronous attempt: final, open (503), or retried in the background. */
  function settle(a: Active): void {
    const r = a.record;
    if (isComplete(r)) {
      r.state = "final";
    } else if (stopping) {
      // Cut short by the shutdown: kept for the next start, never stored as a final answer.
      r.state = "retrying";
      r.leaseUntil = 0;
    } else if (r.accepted) {
      r.state = "retrying";
      save(r);
      track(retryLoop(a, retryBaseMs));
      return;
    } else {
      r.state = "open";
      r.leaseUntil = 0;
    }
    save(r);
    active.delete(r.id);
    if (r.state === "final") finished(r);
  }

  function startRetrying(r: DeliveryRecord): void {
    const a: Active = { record: r, wake: new AbortController() };
    active.set(r.id, a);
    track(retryLoop(a, 0));
  }

  const app = new Hono<ServeEnv>();

  app.use("*", async (c, next) => {
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
    metrics.request(route, c.res.status, seconds);
    opts.accessLog?.({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}...` : c.req.path,
      route,
      status: c.res.status,
      duration_ms: Math.round(seconds * 1e6) / 1000,
      source: c.get("client"),
      ...c.get("logFields"),
    });
  });

  const perSecond = opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
  const limits = perSecond > 0
    ? sourceLimits({ perSecond, key: (c) => c.get("client") ?? "unknown" })
    : undefined;
  if (limits) app.use("/v1/*", limits.failures);
  const passAuthenticated: MiddlewareHandler<ServeEnv> = limits?.successes ??
    (async (_c, next) => {
      await next();
    });

  const verify = verifySignature({
    secrets: opts.secrets,
    now: opts.now,
    onReject: (code) => metrics.rejected(code),
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

  /** The answer for a record someone else (or nobody) is working on right now. */
  function answerKnown(c: Context<ServeEnv>, r: DeliveryRecord): Response | undefined {
    if (r.state === "final") return send(c, renderRecord(r));
    if (r.owner !== owner && r.leaseUntil >= now()) {
      // Claimed by another live process sharing the --state file.
      if (r.state === "retrying") return send(c, renderRecord(r));
      return unavailable(
        c,
        "in_progress",
        "another server is working on this delivery; retry for its result",
      );
    }
    return undefined;
  }

  /** 409: the id came before with another body; the old result is not the answer to this one. */
  function idReused(c: Context<ServeEnv>): Response {
    c.get("logFields").reason = "id_reused";
    return c.json({
      error: "id_reused",
      message: "this delivery id was used before with a different body; send it under a new id",
    }, 409);
  }

  /** The answer of one delivery: the record's, or a refusal (store busy, shutting down). */
  type Outcome = { record: DeliveryRecord; rendered: Rendered } | { response: Response };

  /**
   * Runs a delivery under the contract: answered from the store when known (409 when the body
   * differs), else claimed, attempted within `deadlineMs`, and settled. `acceptNow` marks it as
   * owing background retries from the start (senders that never retry, like Slack).
   */
  async function runDelivery(
    c: Context<ServeEnv>,
    id: string,
    hash: string,
    request: CancelRequest,
    sender: Scheme | undefined,
    deadlineMs: number,
    acceptNow: boolean,
  ): Promise<Outcome> {
    const fields = c.get("logFields");
    const done = (rendered: Rendered, record: DeliveryRecord): Outcome => ({ record, rendered });
    const outcome = await (async (): Promise<Outcome | Response> => {
      const mine = active.get(id);
      if (mine && mine.record.hash && mine.record.hash !== hash) return idReused(c);
      if (mine) {
        // Ours and under way: it now owes an answer in the background either way.
        fields.replay = true;
        if (mine.record.state === "retrying") mine.wake.abort();
        else if (!mine.record.accepted) {
          mine.record.accepted = true;
          save(mine.record);
        }
        return done(renderRecord(mine.record), mine.record);
      }
      let known: DeliveryRecord | undefined;
      try {
        known = store.get(id);
      } catch (e) {
        if (!(e instanceof StoreBusyError)) throw e;
        return unavailable(c, "store_busy", `${e.message}; retry`);
      }
      if (known?.hash && known.hash !== hash) return idReused(c);
      if (known?.state === "final") {
        fields.replay = true;
        return done(renderRecord(known), known);
      }
      if (known) {
        const answer = answerKnown(c, known);
        if (answer) {
          fields.replay = true;
          return answer;
        }
      }
      if (stopping) {
        return unavailable(c, "shutting_down", "the server is shutting down; retry");
      }
      let fresh: DeliveryRecord | undefined;
      if (!known) {
        const t = now();
        const req = request;
        fresh = {
          id,
          hash,
          ...(sender ? { sender } : {}),
          state: "running",
          ...("all" in req ? { all: req.kind ? { kind: req.kind } : {} } : {}),
          uuids: "uuids" in req ? req.uuids : null,
          codes: "uuids" in req ? "p".repeat(req.uuids.length) : "",
          errors: {},
          accepted: acceptNow,
          owner,
          leaseUntil: t + leaseMs,
          createdAt: t,
          updatedAt: t,
        };
      } else {
        fields.replay = true;
        fresh = { ...known, owner, leaseUntil: lease(), state: "running" };
      }
      let claim;
      try {
        claim = store.claim(fresh, now());
      } catch (e) {
        if (!(e instanceof StoreBusyError)) throw e;
        return unavailable(c, "store_busy", `${e.message}; retry`);
      }
      if (!claim.claimed || active.has(id)) {
        return answerKnown(c, claim.record) ??
          unavailable(c, "in_progress", "this delivery is being worked on; retry");
      }
      const record = claim.record;
      record.owner = owner;
      record.state = "running";
      const a: Active = { record, wake: new AbortController() };
      active.set(id, a);
      const job = track((async () => {
        await attemptSafely(a);
        settle(a);
      })());
      const timeout = new AbortController();
      const inTime = await Promise.race([
        job.then(() => true),
        delay(deadlineMs, timeout.signal).then(() => false, () => false),
      ]);
      timeout.abort();
      if (!inTime) {
        fields.deadline_exceeded = true;
        if (!record.accepted) {
          record.accepted = true;
          save(record);
        }
        return done(renderRecord(record), record);
      }
      const state: string = record.state;
      return done(renderRecord(record, state !== "final" && !record.accepted), record);
    })();
    return outcome instanceof Response ? { response: outcome } : outcome;
  }

  const senderOfRequest: MiddlewareHandler<ServeEnv> = async (c, next) => {
    const sender = senderOf(c.req.raw.headers);
    if (sender) c.set("sender", sender);
    const allowed = CONTENT_TYPES[sender ?? ""] ?? ["application/json"];
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

  /** Checks the request as its sender signs or authorises it, over the raw body. */
  const verifySender: MiddlewareHandler<ServeEnv> = async (c, next) => {
    const raw = c.req.raw.body ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array(0);
    const h = c.req.raw.headers;
    let v: Verification;
    switch (c.get("sender")) {
      case "slack":
        v = await verifySlack(
          opts.slackKeys ?? [],
          {
            timestamp: h.get("x-slack-request-timestamp"),
            signature: h.get("x-slack-signature"),
          },
          raw,
          now(),
        );
        break;
      case "grafana":
        v = await verifyGrafana(
          opts.grafanaKeys ?? [],
          {
            signature: h.get(GRAFANA_SIGNATURE_HEADER),
            timestamp: h.get(GRAFANA_TIMESTAMP_HEADER),
          },
          raw,
          now(),
        );
        break;
      case "alertmanager": {
        const token = (h.get("authorization") ?? "").replace(/^bearer\s+/i, "").trim();
        if (!checkBearer) {
          v = reject("no_secret", "no bearer token is configured (CONTREE_WEBHOOK_BEARER)");
        } else if (!await checkBearer(token)) {
          v = reject("bad_token", "bearer token not accepted");
        } else {
          const grafana = /^grafana/i.test(h.get("user-agent") ?? "");
          v = {
            ok: true,
            delivery: {
              scheme: grafana ? "grafana" : "alertmanager",
              id: `${grafana ? "grafana" : "alert"}_${crypto.randomUUID()}`,
            },
          };
        }
        break;
      }
      default:
        v = await verifyRequest(opts.secrets, h, raw, now());
    }
    if (!v.ok) return unauthorized(c, v, (code) => metrics.rejected(code));
    c.set("delivery", v.delivery);
    c.set("rawBody", raw);
    await next();
  };

  app.post(
    "/v1/cancel",
    senderOfRequest,
    limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    verifySender,
    authenticated,
    passAuthenticated,
    noteDelivery,
    async (c) => {
      const d = c.get("delivery");
      const raw = c.get("rawBody");
      const fields = c.get("logFields");
      let interpretation: Interpretation;
      let slack: ReturnType<typeof parseSlackCommand> | undefined;
      switch (d.scheme) {
        case "github": {
          const event = c.req.header("x-github-event");
          interpretation = interpretGithub(
            event,
            mediaType(c.req.header("content-type")),
            raw,
            maxUuids,
          );
          if (event !== undefined) fields.event = eventName(event);
          break;
        }
        case "slack":
          slack = parseSlackCommand(raw, maxUuids);
          interpretation = slack.request
            ? { kind: "cancel", request: slack.request }
            : answer(200, ephemeral(slackEscape(slack.usage ?? "")), "usage");
          break;
        case "alertmanager":
        case "grafana":
          interpretation = interpretAlerts(raw, maxUuids);
          break;
        default: {
          const parsed = parseCancelRequest(raw, maxUuids);
          interpretation = parsed.ok
            ? { kind: "cancel", request: parsed.request }
            : answer(400, { ...parsed.error }, parsed.error.error);
        }
      }
      if (interpretation.kind === "answer") {
        if (interpretation.reason) fields.reason = interpretation.reason;
        return c.json(interpretation.body, interpretation.status);
      }
      const hash = await sha256Hex(raw);
      if (!slack) {
        const run = await runDelivery(
          c,
          d.id,
          hash,
          interpretation.request,
          d.scheme,
          opts.deadlineMs,
          false,
        );
        return "response" in run ? run.response : send(c, run.rendered);
      }
      // Slack: always 200 with an ephemeral message within its 3 s; an unfinished delivery is
      // retried in the background and its result POSTed to the response_url.
      const run = await runDelivery(
        c,
        d.id,
        hash,
        interpretation.request,
        "slack",
        Math.min(opts.deadlineMs, SLACK_ANSWER_MS),
        true,
      );
      if ("response" in run) {
        let message = `status ${run.response.status}`;
        try {
          const j = await run.response.clone().json();
          if (typeof j?.message === "string") message = j.message;
        } catch { /* not JSON */ }
        return c.json(ephemeral(slackEscape(`Not done: ${message}`)), 200);
      }
      // Read the state now: the delivery may have finished since the deadline passed.
      const final = run.record.state === "final";
      const result = JSON.parse(final ? renderRecord(run.record).body : run.rendered.body);
      if (!final) {
        const url = slack.responseUrl;
        if (url) {
          followUps.set(d.id, (r) => {
            const text = slackSummary(JSON.parse(renderRecord(r).body));
            track(
              postSlackResponse(url, ephemeral(text), {
                prefix: opts.slackResponsePrefix,
                fetch: opts.fetch,
              }).then((outcome) => {
                if (outcome !== "ok") log.warning(`Slack delivery ${d.id}: ${outcome}`);
              }),
            );
          });
        }
      }
      return c.json(ephemeral(slackSummary(result)), 200);
    },
  );

  const readAuth: MiddlewareHandler<ServeEnv> = async (c, next) => {
    const auth = c.req.header("authorization");
    if (auth !== undefined && /^bearer /i.test(auth)) {
      if (checkToken && await checkToken(auth.slice(7).trim())) {
        c.set("authenticated", true);
        return next();
      }
      return c.json({ error: "unauthorized", message: "bearer token not accepted" }, 401);
    }
    return verify(c, async () => {
      c.set("authenticated", true);
      await next();
    });
  };

  app.get("/v1/cancel/:id", readAuth, passAuthenticated, (c) => {
    const id = c.req.param("id");
    const mine = active.get(id);
    if (mine) return send(c, renderRecord(mine.record));
    let known: DeliveryRecord | undefined;
    try {
      known = store.get(id);
    } catch (e) {
      if (!(e instanceof StoreBusyError)) throw e;
      return unavailable(c, "store_busy", `${e.message}; retry`);
    }
    if (known) return send(c, renderRecord(known, known.state === "retrying" && !known.accepted));
    return c.json({ error: "not_found", message: "no delivery with this id is known" }, 404);
  });

  app.all("/v1/cancel", (c) => {
    c.header("Allow", "POST");
    return c.json({ error: "method_not_allowed", message: "use POST" }, 405);
  });

  app.get("/healthz", (c) => stopping ? c.text("shutting down\n", 503) : c.text("ok\n"));

  // Readiness: the API answers an authenticated request (cached a few seconds, one check at a
  // time) and the store takes writes. The answer names which part failed with a short code.
  const readyCacheMs = opts.readyCacheMs ?? 5000;
  let apiCheck: { at: number; result: Promise<string>; ok: boolean } | undefined;
  function checkApi(): Promise<string> {
    // A success is reused for readyCacheMs, a failure for a fifth of that (recovering shows soon).
    if (apiCheck && now() - apiCheck.at < (apiCheck.ok ? readyCacheMs : readyCacheMs / 5)) {
      return apiCheck.result;
    }
    const result = opts.client.request("GET", "/v1/operations", [["limit", "1"]], {
      signal: AbortSignal.any([AbortSignal.timeout(3000), hard.signal]),
    }).then(
      () => "ok",
      (e) => e instanceof ApiError ? `http_${e.status}` : "unreachable",
    );
    const check = { at: now(), result, ok: true };
    result.then((r) => check.ok = r === "ok");
    apiCheck = check;
    return result;
  }
  app.get("/readyz", async (c) => {
    if (stopping) return c.json({ status: "not_ready", reason: "shutting_down" }, 503);
    let storeState = "ok";
    try {
      if (store.pendingWrites() > 0 || !store.writable()) storeState = "not_writable";
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
  });

  app.get("/metrics", (c) => {
    let size = -1;
    let bytes = -1;
    try {
      size = store.size();
      bytes = store.bytes();
    } catch (e) {
      if (!(e instanceof StoreBusyError)) throw e;
    }
    return c.text(
      metrics.render({
        contree_serve_deliveries_running: {
          help: "Deliveries this process is working on.",
          value: active.size,
        },
        ...(size >= 0
          ? { contree_serve_deliveries_stored: { help: "Delivery records kept.", value: size } }
          : {}),
        ...(bytes >= 0
          ? {
            contree_serve_store_bytes: {
              help: "Bytes of the delivery records kept.",
              value: bytes,
            },
          }
          : {}),
        contree_serve_store_pending_writes: {
          help: "Record writes queued because the --state file was locked.",
          value: store.pendingWrites(),
        },
      }),
      200,
      { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    );
  });

  app.notFound((c) => c.json({ error: "not_found", message: "no such route" }, 404));
  app.onError((e, c) => {
    log.error(`Unexpected error: ${e.name}: ${e.message}`);
    return c.json({ error: "internal_error", message: "internal error" }, 500);
  });

  function resumeOnce(): void {
    if (stopping) return;
    for (const id of store.resumable(now())) {
      if (active.has(id)) continue;
      const r = store.takeOver(id, owner, lease(), now());
      if (!r) continue;
      log.info(`Resuming delivery ${id}`);
      r.accepted = true;
      startRetrying(r);
    }
  }

  return {
    app,
    metrics,
    running: () => active.size,
    resume() {
      resumeOnce();
      const scan = setInterval(resumeOnce, leaseMs);
      const renew = setInterval(
        () => store.renew([...active.keys()], owner, lease()),
        Math.max(leaseMs / 3, 10),
      );
      timers = [scan, renew];
    },
    async drain(graceMs) {
      stopping = true;
      quit.abort();
      const all = () => Promise.allSettled([...tasks]);
      const timer = new AbortController();
      const inTime = await Promise.race([
        all().then(() => true),
        delay(graceMs, timer.signal).then(() => false, () => false),
      ]);
      timer.abort();
      if (!inTime) {
        hard.abort(new DOMException("the server is shutting down", "AbortError"));
        while (tasks.size) await all();
      }
      for (const t of timers) clearInterval(t);
      // Writes queued by a locked --state file: a few more tries before giving up loudly.
      for (let i = 0; i < 50 && store.flush() > 0; i++) await delay(100);
      const lost = store.pendingWrites();
      if (lost) {
        log.error(
          `Could not write ${lost} delivery record(s) to the --state file (locked); their senders' retries will run them again`,
        );
      }
      return inTime;
    },
  };
}
