// A local ConTree API: the real paths, JSON shapes and status codes of the operations endpoints,
// plus a request log and fault injection for tests. Used by the tests, the demo and benchmarks.
import { Hono } from "../../lib/deps/hono.ts";

/** An operation as the emulator stores it (the detail shape of `GET /v1/operations/{uuid}`). */
export interface EmulatedOperation {
  uuid: string;
  kind: string;
  status: string;
  error: string | null;
  duration: number | null;
  created_at: string;
  updated_at: string;
  metadata: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  [extra: string]: unknown;
}

/** One request as the emulator saw it. */
export interface RecordedRequest {
  method: string;
  /** Path as sent, including any prefix. */
  path: string;
  /** Raw query string without `?`. */
  search: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  status: number;
  /** When it arrived (`performance.now()` of the test process, in milliseconds). */
  at: number;
}

/** A fault applied to the next matching requests. */
export interface Fault {
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Only requests with this method (default any). */
  method?: string;
  /** Answer with this status instead of handling the request. */
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Drop the connection mid-response instead of answering. */
  close?: boolean;
  /** Extra delay for this request, in milliseconds. */
  delayMs?: number;
}

/** Options for {@link startEmulator}. */
export interface EmulatorOptions {
  /** Bearer token the API accepts (default `test-token`). */
  token?: string;
  /** When set, the `Project` header must equal it (IAM). */
  project?: string;
  /** Path prefix the API lives under, e.g. `/api`. */
  prefix?: string;
  /** Latency added to every request, in milliseconds. */
  latencyMs?: number;
  /** Port to listen on (default: any free port). */
  port?: number;
  /** Keep a log of requests (default true; benchmarks turn it off to keep memory flat). */
  record?: boolean;
}

/** A running emulator; `await using emu = await startEmulator()` closes it at the end of scope. */
export interface Emulator extends AsyncDisposable {
  /** Base URL including the prefix, e.g. `http://127.0.0.1:34567/api`. */
  url: string;
  token: string;
  ops: Map<string, EmulatedOperation>;
  requests: RecordedRequest[];
  latencyMs: number;
  /** Adds one operation; unspecified fields get realistic values. */
  add(fields?: Partial<EmulatedOperation>): EmulatedOperation;
  /** Adds `n` operations with the given fields. */
  seed(n: number, fields?: Partial<EmulatedOperation>): EmulatedOperation[];
  /** Queues a fault for the next matching request(s). */
  fault(f: Fault): void;
  /** Requests matching a method (and optional path substring). */
  seen(method: string, pathPart?: string): RecordedRequest[];
  /**
   * Changes an operation when its `n`-th `GET /v1/operations/{uuid}` arrives (1-based): the
   * fields are merged before answering. For `op wait` tests (PENDING → … → SUCCESS).
   */
  onPoll(uuid: string, n: number, fields: Partial<EmulatedOperation>): void;
  /**
   * Resolves once `n` requests matching `method` (and `pathPart`) have arrived: an event to await
   * instead of a sleep. Rejects after `ms` (default 15 s) with what was seen.
   */
  waitFor(method: string, pathPart?: string, n?: number, ms?: number): Promise<RecordedRequest[]>;
  /**
   * Lists the operation under `status` as well as its own (as if it moved between statuses while
   * a client paged through them): `?status=` listings of both include it.
   */
  alsoListAs(uuid: string, status: string): void;
  /** Most requests in flight at once so far (all methods together). */
  readonly maxInFlight: number;
  /** Runs `fn` when the emulator closes (after the server stopped), e.g. to remove a temp dir. */
  defer(fn: () => void | Promise<void>): void;
  /**
   * Stops the server, then runs every {@link Emulator.defer}red clean-up (even if one throws).
   * Closing again returns the same promise.
   */
  close(): Promise<void>;
}

export const ACTIVE = new Set(["PENDING", "ASSIGNED", "EXECUTING"]);
const STATUSES = new Set([...ACTIVE, "SUCCESS", "FAILED", "CANCELLED"]);

let counter = 0;
/** A UUIDv7-shaped identifier, time-ordered like the real API's. */
export function newUuid(): string {
  const hex = (Date.now().toString(16).padStart(12, "0") +
    (counter++ & 0xfff).toString(16).padStart(4, "0") +
    crypto.randomUUID().replaceAll("-", "").slice(0, 16)).slice(0, 32);
  const h = hex.split("");
  h[12] = "7";
  h[16] = "89ab"[parseInt(h[16], 16) & 3];
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Resolves after `ms`, or as soon as `signal` aborts (the emulator is closing). */
function abortableWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

/** The list item shape: every top-level scalar field, no `metadata`/`result` detail. */
function summary(op: EmulatedOperation): Record<string, unknown> {
  const { metadata: _m, result: _r, ...rest } = op;
  return rest;
}

/**
 * Starts the emulator on 127.0.0.1 (an ephemeral port unless `port` is given).
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ prefix: "/api" });
 * const [op] = emu.seed(1, { status: "EXECUTING" });
 * // … run `contree -u ${emu.url} --token ${emu.token} kill ${op.uuid}` …
 * await emu.close();
 * ```
 */
export function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const token = opts.token ?? "test-token";
  const prefix = (opts.prefix ?? "").replace(/\/+$/, "");
  const record = opts.record ?? true;
  const ops = new Map<string, EmulatedOperation>();
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  let sorted: EmulatedOperation[] | undefined; // newest first; rebuilt after changes
  const filtered = new Map<string, EmulatedOperation[]>(); // listing filter → matches of `sorted`
  let filteredOf: EmulatedOperation[] | undefined; // the `sorted` that `filtered` was built from
  const pollCounts = new Map<string, number>(); // GETs per operation, for onPoll
  const pollChanges = new Map<string, Partial<EmulatedOperation>>(); // "uuid n" → fields
  const waiters = new Set<() => void>(); // re-checked on every request
  const alsoListed = new Map<string, string>(); // uuid → a second status it is listed under
  const cleanups: (() => void | Promise<void>)[] = [];
  let inFlight = 0;
  let closing: Promise<void> | undefined;
  // Ends every injected wait when the emulator closes, so close() never waits for one. (Not the
  // request's own signal: reading it makes Deno 2.9 print a warning about its legacy behaviour.)
  const closed = new AbortController();
  let maxInFlight = 0;

  const app = new Hono();
  const api = prefix ? app.basePath(prefix) : app;

  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const entry: RecordedRequest = {
      method: c.req.method,
      path: url.pathname,
      search: url.search.slice(1),
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(c.req.raw.headers),
      status: 0,
      at: performance.now(),
    };
    if (record) requests.push(entry);
    for (const check of waiters) check();
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      const i = faults.findIndex((f) => !f.method || f.method === c.req.method);
      const fault = i >= 0 ? faults[i] : undefined;
      if (fault && --fault.times! <= 0) faults.splice(i, 1);
      const delay = emu.latencyMs + (fault?.delayMs ?? 0);
      if (delay > 0) await abortableWait(delay, closed.signal);
      if (fault?.close) {
        // Promise more bytes than we send: the client sees the connection drop mid-body.
        const body = new ReadableStream({
          start(ctrl) {
            ctrl.enqueue(new TextEncoder().encode("{"));
            ctrl.close();
          },
        });
        c.res = new Response(body, { status: 200, headers: { "content-length": "1000" } });
      } else if (fault?.status) {
        c.res = new Response(fault.body ?? json({ detail: `injected ${fault.status}` }), {
          status: fault.status,
          headers: { "content-type": "application/json", ...fault.headers },
        });
      } else {
        const auth = c.req.header("authorization");
        const projectOk = !opts.project || c.req.header("project") === opts.project;
        if (auth !== `Bearer ${token}` || !projectOk) {
          c.res = c.json({ detail: "Unauthorized" }, 401);
        } else {
          await next();
        }
      }
      entry.status = c.res.status;
    } finally {
      inFlight--;
    }
  });

  api.get("/v1/operations", (c) => {
    const q = new URL(c.req.url).searchParams;
    const status = q.get("status");
    if (status !== null && !STATUSES.has(status)) {
      return c.json({ detail: `invalid status ${status}` }, 422);
    }
    const limit = q.get("limit") ?? "100";
    const offset = q.get("offset") ?? "0";
    if (!/^\d+$/.test(limit) || !/^\d+$/.test(offset)) {
      return c.json({ detail: "limit and offset must be non-negative integers" }, 422);
    }
    const kind = q.get("kind");
    const since = q.get("since") ? Date.parse(q.get("since")!) : undefined;
    const until = q.get("until") ? Date.parse(q.get("until")!) : undefined;
    sorted ??= [...ops.values()].sort((a, b) =>
      b.created_at.localeCompare(a.created_at) || b.uuid.localeCompare(a.uuid)
    );
    const all = status === null && !kind && since === undefined && until === undefined;
    // Filtered once per filter while nothing changes: paging through n operations stays O(n).
    if (filteredOf !== sorted) {
      filtered.clear();
      filteredOf = sorted;
    }
    const filterKey = `${status} ${kind} ${since} ${until}`;
    const matching = all ? sorted : filtered.get(filterKey) ?? sorted.filter((op) => {
      const t = Date.parse(op.created_at);
      const listed = op.status === status || alsoListed.get(op.uuid) === status;
      return (status === null || listed) && (!kind || op.kind === kind) &&
        (since === undefined || t >= since) && (until === undefined || t <= until);
    });
    if (!all) filtered.set(filterKey, matching);
    const page = matching.slice(Number(offset), Number(offset) + Number(limit));
    return c.body(json(page.map(summary)), 200, { "content-type": "application/json" });
  });

  api.get("/v1/operations/:uuid", (c) => {
    const op = ops.get(c.req.param("uuid"));
    if (!op) return c.json({ detail: "Operation not found" }, 404);
    const polls = (pollCounts.get(op.uuid) ?? 0) + 1;
    pollCounts.set(op.uuid, polls);
    const change = pollChanges.get(`${op.uuid} ${polls}`);
    if (change) {
      Object.assign(op, change);
      sorted = undefined;
    }
    return c.body(json(op), 200, { "content-type": "application/json" });
  });

  api.delete("/v1/operations/:uuid", (c) => {
    const op = ops.get(c.req.param("uuid"));
    if (!op) return c.json({ detail: "Operation not found" }, 404);
    if (!ACTIVE.has(op.status)) return c.json({ detail: "Operation already finished" }, 409);
    op.status = "CANCELLED";
    op.updated_at = new Date().toISOString();
    sorted = undefined;
    return c.json({ uuid: op.uuid, status: "CANCELLED" }, 202);
  });

  app.notFound((c) => c.json({ detail: "Not Found" }, 404));

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen() {} },
    app.fetch,
  );
  const base = `http://127.0.0.1:${server.addr.port}${prefix}`;
  let created = Date.parse("2026-01-01T00:00:00Z");

  const emu: Emulator = {
    url: base,
    token,
    ops,
    requests,
    latencyMs: opts.latencyMs ?? 0,
    add(fields = {}) {
      created += 1000;
      const stamp = new Date(created).toISOString();
      const status = fields.status ?? "EXECUTING";
      const op: EmulatedOperation = {
        uuid: newUuid(),
        kind: "instance",
        status,
        error: status === "FAILED" ? "boom" : null,
        duration: ACTIVE.has(status) ? null : 1.5,
        created_at: stamp,
        updated_at: stamp,
        metadata: { command: "true", image: "tag:ubuntu:latest", result: null },
        result: null,
        ...fields,
      };
      ops.set(op.uuid, op);
      sorted = undefined;
      return op;
    },
    onPoll(uuid, n, fields) {
      pollChanges.set(`${uuid} ${n}`, fields);
    },
    seed(n, fields) {
      return Array.from({ length: n }, () => emu.add(fields));
    },
    fault(f) {
      faults.push({ times: 1, ...f });
    },
    seen(method, pathPart = "") {
      return requests.filter((r) => r.method === method && r.path.includes(pathPart));
    },
    waitFor(method, pathPart = "", n = 1, ms = 15_000) {
      const { promise, resolve, reject } = Promise.withResolvers<RecordedRequest[]>();
      const check = () => {
        const seen = emu.seen(method, pathPart);
        if (seen.length < n) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(seen);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        const got = requests.map((r) => `${r.method} ${r.path}`).join(", ");
        reject(new Error(`waited ${ms} ms for ${n} × ${method} ${pathPart}; saw: ${got}`));
      }, ms);
      waiters.add(check);
      check();
      return promise;
    },
    alsoListAs(uuid, status) {
      alsoListed.set(uuid, status);
      sorted = undefined;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    defer(fn) {
      cleanups.push(fn);
    },
    close() {
      closing ??= (async () => {
        closed.abort();
        try {
          await server.shutdown();
        } finally {
          for (const fn of cleanups.splice(0)) {
            try {
              await fn();
            } catch { /* one failed clean-up does not stop the others */ }
          }
        }
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return emu.close();
    },
  };
  return Promise.resolve(emu);
}
