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
  requireJson,
  Semaphore,
  sourceLimits,
} from "./limits/index.ts";
import { Metrics } from "./metrics/index.ts";
import { DEFAULT_MAX_UUIDS, parseCancelRequest } from "./payload/index.ts";
import type { ServeEnv } from "./types.ts";
import { verifySignature, type WebhookSecrets } from "./verify/index.ts";

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
  if (path === "/healthz" || path === "/metrics") return path;
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
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
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
    const cancelOpts = {
      concurrency,
      shouldStop: () => hard.signal.aborted,
      signal: hard.signal,
      onOutcome: (o: CancelOutcome) => {
        if (hard.signal.aborted && active.get(r.id)?.record !== r) return;
        const i = todo.find((j) => uuids[j] === o.uuid);
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

  const perSecond = opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
  const limits = perSecond > 0 ? sourceLimits({ perSecond }) : undefined;
  if (limits) app.use("/v1/*", limits.failures);
  const passAuthenticated: MiddlewareHandler<ServeEnv> = limits?.successes ??
    (async (_c, next) => {
      await next();
    });

  const verify = verifySignature({
    secrets: opts.secrets,
    now: opts.now,
    onReject: (problem) => metrics.rejected(problem),
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

  app.post(
    "/v1/cancel",
    requireJson(),
    limitBody(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    verify,
    authenticated,
    passAuthenticated,
    noteDelivery,
    async (c) => {
      const { id } = c.get("delivery");
      const fields = c.get("logFields");
      const mine = active.get(id);
      if (mine) {
        // Ours and under way: it now owes an answer in the background either way.
        fields.replay = true;
        if (mine.record.state === "retrying") mine.wake.abort();
        else if (!mine.record.accepted) {
          mine.record.accepted = true;
          save(mine.record);
        }
        return send(c, renderRecord(mine.record));
      }
      let known: DeliveryRecord | undefined;
      try {
        known = store.get(id);
      } catch (e) {
        if (!(e instanceof StoreBusyError)) throw e;
        return unavailable(c, "store_busy", `${e.message}; retry`);
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
        const raw = c.get("rawBody");
        const parsed = parseCancelRequest(raw, opts.maxUuids ?? DEFAULT_MAX_UUIDS);
        if (!parsed.ok) return c.json(parsed.error, 400);
        const t = now();
        const req = parsed.request;
        fresh = {
          id,
          hash: await sha256Hex(raw),
          state: "running",
          ...("all" in req ? { all: req.kind ? { kind: req.kind } : {} } : {}),
          uuids: "uuids" in req ? req.uuids : null,
          codes: "uuids" in req ? "p".repeat(req.uuids.length) : "",
          errors: {},
          accepted: false,
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
        delay(opts.deadlineMs, timeout.signal).then(() => false, () => false),
      ]);
      timeout.abort();
      if (!inTime) {
        fields.deadline_exceeded = true;
        if (!record.accepted) {
          record.accepted = true;
          save(record);
        }
        return send(c, renderRecord(record));
      }
      const state: string = record.state;
      return send(c, renderRecord(record, state !== "final" && !record.accepted));
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
        contree_serve_deliveries_running: active.size,
        ...(size >= 0 ? { contree_serve_deliveries_stored: size } : {}),
        ...(bytes >= 0 ? { contree_serve_store_bytes: bytes } : {}),
        contree_serve_store_pending_writes: store.pendingWrites(),
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
