// The listening socket of `--serve`: our own accept loop on `Deno.listen`, so that accept errors
// (EMFILE) are caught, the number of open connections is capped below the open-files limit, and
// every connection has a deadline (request head, keep-alive idle, request). Each accepted
// connection is handed to Deno's HTTP server for that one connection, so the handler sees the
// real peer address and pays no extra hop. `Deno.serve` alone has neither cap nor timeouts.
// The per-connection server is Deno's internal `serveHttpOnConnection` (what `Deno.serve` runs);
// a Deno without it gets plain `Deno.serve` and a warning. Measured alternatives: splicing each
// connection into an internal `Deno.serve` over loopback costs about half the throughput, and
// `node:http` under Deno ignores `headersTimeout`.
import type { Env } from "../../cli/io.ts";
import { envNumber } from "../../config/env.ts";
import { MAX_DELAY_MS } from "../../async/delay.ts";

/** Seconds a new connection has to send a complete request head. */
export const DEFAULT_HEADER_TIMEOUT_SECONDS = 10;
/** Seconds a kept-alive connection may sit idle after a response. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 5;
/** Seconds from a request head to its response, at least (see {@link limitsFromEnv}). */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
/** Default connection cap (lowered by itself when the open-files limit is reached first). */
export const MAX_CONNECTIONS_CEILING = 10_000;

/** Limits of {@link listen}; durations in milliseconds. */
export interface ConnectionLimits {
  /** Time from accept (or from the end of a previous response) to a complete request head. */
  headerTimeoutMs: number;
  /** Time a kept-alive connection may stay idle after a response. */
  idleTimeoutMs: number;
  /** Time from a complete request head to the end of its response. */
  requestTimeoutMs: number;
  /**
   * Open connections at most; beyond it the oldest idle one is closed (or the new one). When
   * the open-files limit is reached first, the cap is lowered below it by itself.
   */
  maxConnections: number;
}

/** Options of {@link listen}. */
export interface ListenOptions extends ConnectionLimits {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Called once the socket is bound. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Turns a handler exception into a response. */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** Called (at most once per 10 s per kind) on accept errors and when the cap is reached. */
  onWarning?: (message: string) => void;
}

/** A request handler, as for `Deno.serve`. */
export type Handler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** A running server from {@link listen}. */
export interface GuardedServer {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Resolves once the server stopped accepting and every connection is closed. */
  readonly finished: Promise<void>;
  /** Open connections now. */
  connections(): number;
  /**
   * Stops accepting, closes idle connections and those without a complete request head, lets
   * requests in flight finish (their connections close after the response).
   */
  shutdown(): Promise<void>;
}

type OneConnectionServer = { finished: Promise<void>; shutdown(): Promise<void> };
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: Handler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => OneConnectionServer;

/** Deno's HTTP server for one accepted connection (what `Deno.serve` runs per connection). */
function serveOnConnection(): ServeOnConnection | undefined {
  // deno-lint-ignore no-explicit-any
  const d = Deno as any;
  const fn = d.internal ? d[d.internal]?.serveHttpOnConnection : undefined;
  return typeof fn === "function" ? fn : undefined;
}

/**
 * The number of connections to keep after accept failed for lack of file descriptors with
 * `open` connections: a reserve of a tenth (at least 32) is left for the API client, the state
 * file and the runtime.
 *
 * @example
 * ```ts
 * capAfterFdExhaustion(1000); // 900
 * capAfterFdExhaustion(200); // 168
 * ```
 */
export function capAfterFdExhaustion(open: number): number {
  return Math.max(1, open - Math.max(32, Math.floor(open / 10)));
}

/** True for the accept errors that mean "out of file descriptors" (EMFILE, ENFILE). */
function outOfDescriptors(e: unknown): boolean {
  return e instanceof Error && /Too many open files|os error 2[34]\b/i.test(e.message);
}

/**
 * Reads the limits from `CONTREE_WEBHOOK_HEADER_TIMEOUT`, `CONTREE_WEBHOOK_IDLE_TIMEOUT`,
 * `CONTREE_WEBHOOK_REQUEST_TIMEOUT` (seconds) and `CONTREE_WEBHOOK_MAX_CONNECTIONS`; a bad value
 * throws a one-line `ConfigError`. The request timeout defaults to 60 s, or `deadlineSeconds`
 * + 10 s when that is longer, so a slow delivery still gets its `202`.
 *
 * @example
 * ```ts
 * limitsFromEnv({ CONTREE_WEBHOOK_HEADER_TIMEOUT: "2" }, 10).headerTimeoutMs; // 2000
 * ```
 */
export function limitsFromEnv(env: Env, deadlineSeconds: number): ConnectionLimits {
  const seconds = (name: string, fallback: number) =>
    envNumber(env, name, { fallback, min: 0, exclusive: true, seconds: true }) * 1000;
  const maxConnections = envNumber(env, "CONTREE_WEBHOOK_MAX_CONNECTIONS", {
    fallback: 0,
    min: 1,
    integer: true,
  });
  return {
    headerTimeoutMs: seconds("CONTREE_WEBHOOK_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT_SECONDS),
    idleTimeoutMs: seconds("CONTREE_WEBHOOK_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT_SECONDS),
    requestTimeoutMs: seconds(
      "CONTREE_WEBHOOK_REQUEST_TIMEOUT",
      Math.min(
        Math.max(DEFAULT_REQUEST_TIMEOUT_SECONDS, deadlineSeconds + 10),
        MAX_DELAY_MS / 1000,
      ),
    ),
    maxConnections: maxConnections || MAX_CONNECTIONS_CEILING,
  };
}

/** One accepted connection. */
interface Tracked {
  ac: AbortController;
  server?: OneConnectionServer;
  /** A request head was completed at least once. */
  served: boolean;
  inflight: number;
  /** When the connection is closed unless something happens (ms since epoch). */
  deadline: number;
  closing: boolean;
}

/**
 * Serves `handler` on `hostname:port` with the given {@link ConnectionLimits}. Throws like
 * `Deno.listen` when the address cannot be bound.
 *
 * @example
 * ```ts
 * const server = listen({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   headerTimeoutMs: 10_000,
 *   idleTimeoutMs: 5_000,
 *   requestTimeoutMs: 60_000,
 *   maxConnections: 100,
 * }, () => new Response("ok"));
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * await res.text(); // "ok"
 * await server.shutdown();
 * ```
 */
export function listen(opts: ListenOptions, handler: Handler): GuardedServer {
  const onError = opts.onError ??
    (() => new Response("internal error", { status: 500 }));
  const serveOn = serveOnConnection();
  if (!serveOn) {
    // A Deno without the per-connection server: plain Deno.serve, no limits.
    opts.onWarning?.(
      "This Deno has no per-connection HTTP server: connection limits and timeouts are off",
    );
    const server = Deno.serve({
      hostname: opts.hostname,
      port: opts.port,
      onListen: (addr) => opts.onListen?.(addr),
      onError,
    }, handler);
    return {
      addr: server.addr,
      finished: server.finished,
      connections: () => NaN,
      shutdown: () => server.shutdown(),
    };
  }
  const listener = Deno.listen({ hostname: opts.hostname, port: opts.port });
  const addr = listener.addr;
  const conns = new Set<Tracked>();
  let cap = opts.maxConnections;
  let stopping = false;
  const lastWarning = new Map<string, number>();
  const suppressed = new Map<string, number>();
  const warn = (kind: string, message: string) => {
    const now = Date.now();
    if (now - (lastWarning.get(kind) ?? -Infinity) < 10_000) {
      suppressed.set(kind, (suppressed.get(kind) ?? 0) + 1);
      return;
    }
    const more = suppressed.get(kind) ?? 0;
    suppressed.delete(kind);
    lastWarning.set(kind, now);
    opts.onWarning?.(more ? `${message} (and ${more} more since the last report)` : message);
  };
  const close = (t: Tracked) => {
    if (t.closing) return;
    t.closing = true;
    t.ac.abort();
  };
  /** Closes the oldest connection that is waiting for a request head, else the oldest idle one. */
  const evict = (): Tracked | undefined => {
    let idle: Tracked | undefined;
    for (const t of conns) {
      if (t.closing || t.inflight) continue;
      if (!t.served) {
        close(t);
        return t;
      }
      idle ??= t;
    }
    if (idle) close(idle);
    return idle;
  };
  /** Waits (at most 1 s) until `t` has released its descriptor. */
  const released = async (t: Tracked) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      t.server!.finished.catch(() => {}),
      new Promise((r) => timer = setTimeout(r, 1000)),
    ]);
    clearTimeout(timer);
  };
  /**
   * Makes room for one more connection under the cap: closes the oldest idle connection and
   * waits until its descriptor is released. False when every connection is busy.
   */
  const makeRoom = async (): Promise<boolean> => {
    let evicted = false;
    for (let i = 0; i < 8 && conns.size >= cap; i++) {
      let victim: Tracked | undefined;
      for (const t of conns) {
        if (t.closing) {
          victim = t;
          break;
        }
      }
      if (!victim) {
        victim = evict();
        if (!victim) return false;
        evicted = true;
      }
      await released(victim);
    }
    if (evicted) {
      warn(
        "cap",
        `Connection limit (${cap}) reached: closed the oldest idle connection`,
      );
    }
    return conns.size < cap;
  };

  const tickMs = Math.max(
    20,
    Math.min(1000, Math.min(opts.headerTimeoutMs, opts.idleTimeoutMs, opts.requestTimeoutMs) / 4),
  );
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const t of conns) if (!t.closing && t.deadline <= now) close(t);
  }, tickMs);
  Deno.unrefTimer(sweeper);

  const track = (conn: Deno.Conn) => {
    const t: Tracked = {
      ac: new AbortController(),
      served: false,
      inflight: 0,
      deadline: Date.now() + opts.headerTimeoutMs,
      closing: false,
    };
    conns.add(t);
    const done = () => {
      t.inflight--;
      if (!t.inflight) t.deadline = Date.now() + opts.idleTimeoutMs;
    };
    const perConnection: Handler = (req, info) => {
      t.served = true;
      t.inflight++;
      t.deadline = Date.now() + opts.requestTimeoutMs;
      info.completed.then(done, done);
      return handler(req, info);
    };
    try {
      t.server = serveOn(conn, t.ac.signal, perConnection, onError, () => {});
    } catch (e) {
      conns.delete(t);
      try {
        conn.close();
      } catch { /* already closed */ }
      warn("serve", `Cannot serve a connection: ${e instanceof Error ? e.message : e}`);
      return;
    }
    const forget = () => {
      conns.delete(t);
      t.closing = true;
    };
    t.server.finished.then(forget, forget);
  };

  const acceptLoop = (async () => {
    let backoff = 0;
    while (!stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
        backoff = 0;
      } catch (e) {
        if (stopping || e instanceof Deno.errors.BadResource) break;
        const message = e instanceof Error ? e.message : String(e);
        if (outOfDescriptors(e)) {
          // The open-files limit is below the cap: keep a reserve of descriptors free from now on.
          const open = [...conns].filter((t) => !t.closing).length;
          const lowered = Math.min(cap, capAfterFdExhaustion(open));
          if (lowered < cap) {
            cap = lowered;
            warn("fd", `Cannot accept a connection: ${message}; connection limit now ${cap}`);
          } else warn("accept", `Cannot accept a connection: ${message}`);
          let over = open - cap;
          while (over-- > 0 && evict());
          if (open <= cap) evict();
        } else {
          warn("accept", `Cannot accept a connection: ${message}`);
        }
        backoff = Math.min(1000, backoff ? backoff * 2 : 10);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      if (stopping) {
        conn.close();
        break;
      }
      if (conns.size >= cap && !await makeRoom()) {
        warn(
          "busy",
          `Connection limit (${cap}) reached with every connection busy: closing a new one`,
        );
        conn.close();
        continue;
      }
      track(conn);
    }
  })();

  opts.onListen?.(addr);
  let shuttingDown: Promise<void> | undefined;
  const allClosed = async () => {
    await acceptLoop;
    while (conns.size) {
      await Promise.allSettled([...conns].map((t) => t.server!.finished));
    }
    clearInterval(sweeper);
  };
  const finished = allClosed();
  return {
    addr,
    finished,
    connections: () => conns.size,
    shutdown() {
      shuttingDown ??= (async () => {
        stopping = true;
        try {
          listener.close();
        } catch { /* already closed */ }
        await acceptLoop;
        await Promise.allSettled([...conns].map((t) => t.server!.shutdown()));
        await finished;
      })();
      return shuttingDown;
    },
  };
}
