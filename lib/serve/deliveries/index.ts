// The delivery runner: claims a delivery in the store, attempts its cancels within a deadline,
// retries unfinished ones in the background, resumes those a crashed or restarted process left,
// and drains them on shutdown. No HTTP here: the routes turn a RunResult into an answer.
//
// The delivery contract: final (every UUID cancelled, not_found, already_finished or a 4xx that
// retrying cannot fix); accepted (this process keeps working on it in the background); or open
// (some UUIDs failed retryably and the sender's retry re-attempts only those).
import type { Client } from "../../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../../api/errors.ts";
import { clampDelay, delay } from "../../async/delay.ts";
import { log } from "../../log/log.ts";
import { listActiveUuids } from "../../ops/active.ts";
import { DEFAULT_CONCURRENCY } from "../../config/env.ts";
import { cancelOperations, type CancelOutcome } from "../../ops/cancel.ts";
import {
  type DeliveryRecord,
  type DeliveryStore,
  isComplete,
  type Rendered,
  renderRecord,
  shortError,
  StoreBusyError,
} from "../dedupe/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { CancelRequest } from "../payload/index.ts";
import type { Scheme } from "../types.ts";
import { abortable } from "./abortable.ts";
import { auditRecord, httpStatusOf, outcomeCode } from "./outcome.ts";

export { auditRecord, httpStatusOf, outcomeCode } from "./outcome.ts";

/** Default time an accepted delivery is retried in the background (`CONTREE_WEBHOOK_RETRY_FOR`). */
export const DEFAULT_RETRY_FOR_MS = 3600_000;
/** Default claim lease: a crashed process's deliveries can be taken over after this long. */
export const DEFAULT_LEASE_MS = 30_000;

/** Options of {@link createDeliveries}. */
export interface DeliveriesOptions {
  /** The API client the listings and DELETEs go through (already bounded by the caller). */
  client: Client;
  /** Where delivery records are claimed and kept. */
  store: DeliveryStore;
  /** Counts cancellations and upstream errors. */
  metrics: Metrics;
  /** DELETEs in flight for one delivery. */
  concurrency?: number;
  /** How long an accepted delivery is retried in the background, from its arrival. */
  retryForMs?: number;
  /** First pause between background retries (default 1 s). */
  retryBaseMs?: number;
  /** Longest pause between background retries (default 60 s). */
  retryMaxMs?: number;
  /** Claim lease in the store (default 30 s), renewed while this process works on a delivery. */
  leaseMs?: number;
  /** Receives one record per delivery that became final: what it cancelled (the audit trail). */
  auditLog?: (fields: Record<string, unknown>) => void;
  /** The clock (milliseconds since the epoch). */
  now?: () => number;
}

/** One delivery to run: what a verified, parsed request asks for. */
export interface DeliveryRequest {
  /** The delivery id (the dedupe key). */
  id: string;
  /** SHA-256 of the raw body, hex: the same id with another body is refused. */
  hash: string;
  /** What to cancel. */
  request: CancelRequest;
  /** Who sent it (kept in the record and the audit line). */
  sender?: Scheme;
  /** Past this, the answer is given and the work goes on in the background (milliseconds). */
  deadlineMs: number;
  /** Owes background retries from the start (senders that never retry, like Slack). */
  acceptNow: boolean;
}

/** Why a delivery was not run: a 409 (id reused) or a 503 to retry later. */
export interface Refusal {
  /** The HTTP status to answer. */
  status: 409 | 503;
  /** Short error code (`id_reused`, `store_busy`, `in_progress`, `shutting_down`). */
  error: string;
  /** One human sentence. */
  message: string;
}

/** The result of {@link Deliveries.run}: the record and its rendered answer, or a refusal. */
export type RunResult =
  | {
    /** The delivery's record (it may still change in the background). */
    record: DeliveryRecord;
    /** The answer as of the deadline. */
    rendered: Rendered;
    /** Answered from an earlier delivery with this id. */
    replay: boolean;
    /** The deadline passed: the rest goes on in the background. */
    deadlineExceeded: boolean;
  }
  | {
    /** Not run: the answer to give instead. */
    refused: Refusal;
    /** Answered from an earlier delivery with this id. */
    replay: boolean;
  };

/** The running deliveries of one server process; see {@link createDeliveries}. */
export interface Deliveries {
  /** Runs a delivery under the contract (see {@link createDeliveries}). */
  run(d: DeliveryRequest): Promise<RunResult>;
  /** The record of a delivery this process is working on right now. */
  active(id: string): DeliveryRecord | undefined;
  /** Deliveries this process is working on (synchronously or in the background). */
  running(): number;
  /** Whether draining has started (health checks answer 503). */
  stopping(): boolean;
  /** Aborted when the grace period is over: every upstream request should stop. */
  readonly signal: AbortSignal;
  /** Calls `follow` once, when delivery `id` becomes final (Slack's delayed answer). */
  onFinal(id: string, follow: (r: DeliveryRecord) => void): void;
  /** Keeps `p` among the tasks the drain waits for. */
  track<T>(p: Promise<T>): Promise<T>;
  /**
   * Takes over the store's `retrying` deliveries whose claim expired (left by a restart or a
   * crashed replica) and retries them; then checks again every lease period.
   */
  resume(): void;
  /**
   * Refuses new deliveries, stops waiting between background retries and waits for running
   * attempts up to `graceMs`; after that no new DELETE starts and the listing and cancels are
   * aborted. Unfinished deliveries are stored as `retrying` (resumed at the next start with
   * `--state`), never as a final answer. Resolves true when everything finished in time.
   */
  drain(graceMs: number): Promise<boolean>;
}

/** A delivery this process works on. */
interface Active {
  record: DeliveryRecord;
  /** Aborted by a replay of a `retrying` delivery: retry at once. */
  wake: AbortController;
}

/**
 * Creates the delivery runner. {@link Deliveries.run} answers from the store when the id is known
 * (a 409 refusal when the body differs), else claims it atomically, attempts it within
 * `deadlineMs`, and settles it: final, open (the sender retries), or retried in the background.
 */
export function createDeliveries(opts: DeliveriesOptions): Deliveries {
  const { store, metrics } = opts;
  const now = opts.now ?? Date.now;
  const upstream = opts.client;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const retryForMs = opts.retryForMs ?? DEFAULT_RETRY_FOR_MS;
  const retryBaseMs = opts.retryBaseMs ?? 1000;
  const retryMaxMs = opts.retryMaxMs ?? 60_000;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
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
    opts.auditLog?.(auditRecord(r, now()));
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

  const refuse = (status: 409 | 503, error: string, message: string) => ({
    refused: { status, error, message },
  });
  const storeBusy = (e: StoreBusyError) => refuse(503, "store_busy", `${e.message}; retry`);
  const idReused = () =>
    refuse(
      409,
      "id_reused",
      "this delivery id was used before with a different body; send it under a new id",
    );

  /** The answer for a record someone else (or nobody) is working on right now. */
  function answerKnown(r: DeliveryRecord): RunResult | { refused: Refusal } | undefined {
    const done = { record: r, rendered: renderRecord(r), replay: false, deadlineExceeded: false };
    if (r.state === "final") return done;
    if (r.owner !== owner && r.leaseUntil >= now()) {
      // Claimed by another live process sharing the --state file.
      if (r.state === "retrying") return done;
      return refuse(
        503,
        "in_progress",
        "another server is working on this delivery; retry for its result",
      );
    }
    return undefined;
  }

  /** {@link Deliveries.run} without the `replay` flag (set by the caller). */
  async function runOnce(
    d: DeliveryRequest,
    replayed: () => void,
  ): Promise<RunResult | { refused: Refusal }> {
    const { id, hash } = d;
    const done = (rendered: Rendered, record: DeliveryRecord, deadlineExceeded = false) => ({
      record,
      rendered,
      replay: false,
      deadlineExceeded,
    });
    const mine = active.get(id);
    if (mine && mine.record.hash && mine.record.hash !== hash) return idReused();
    if (mine) {
      // Ours and under way: it now owes an answer in the background either way.
      replayed();
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
      return storeBusy(e);
    }
    if (known?.hash && known.hash !== hash) return idReused();
    if (known?.state === "final") {
      replayed();
      return done(renderRecord(known), known);
    }
    if (known) {
      const answer = answerKnown(known);
      if (answer) {
        replayed();
        return answer;
      }
    }
    if (stopping) {
      return refuse(503, "shutting_down", "the server is shutting down; retry");
    }
    let fresh: DeliveryRecord | undefined;
    if (!known) {
      const t = now();
      const req = d.request;
      fresh = {
        id,
        hash,
        ...(d.sender ? { sender: d.sender } : {}),
        state: "running",
        ...("all" in req ? { all: req.kind ? { kind: req.kind } : {} } : {}),
        uuids: "uuids" in req ? req.uuids : null,
        codes: "uuids" in req ? "p".repeat(req.uuids.length) : "",
        errors: {},
        accepted: d.acceptNow,
        owner,
        leaseUntil: t + leaseMs,
        createdAt: t,
        updatedAt: t,
      };
    } else {
      replayed();
      fresh = { ...known, owner, leaseUntil: lease(), state: "running" };
    }
    let claim;
    try {
      claim = store.claim(fresh, now());
    } catch (e) {
      if (!(e instanceof StoreBusyError)) throw e;
      return storeBusy(e);
    }
    if (!claim.claimed || active.has(id)) {
      return answerKnown(claim.record) ??
        refuse(503, "in_progress", "this delivery is being worked on; retry");
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
    // A plain timer, cleared when the job wins: no AbortController and abort reason per delivery.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const inTime = await Promise.race([
      job.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), clampDelay(d.deadlineMs));
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      if (!record.accepted) {
        record.accepted = true;
        save(record);
      }
      return done(renderRecord(record), record, true);
    }
    const state: string = record.state;
    return done(renderRecord(record, state !== "final" && !record.accepted), record);
  }

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
    async run(d) {
      let replay = false;
      const result = await runOnce(d, () => replay = true);
      return { ...result, replay };
    },
    active: (id) => active.get(id)?.record,
    running: () => active.size,
    stopping: () => stopping,
    signal: hard.signal,
    onFinal(id, follow) {
      followUps.set(id, follow);
    },
    track,
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
