import { readCapped } from "../async/read_capped.ts";
import { Interrupted, linkSignals } from "../async/abort.ts";
import { Deadlines } from "../async/deadlines.ts";
import { delay } from "../async/delay.ts";
import { log, maskSecrets, maskSecretTail } from "../log/log.ts";
import { parseJson } from "../output/pyjson.ts";
import { userAgent } from "../version.ts";
import { ApiError, NetworkError, reasonPhrase, ResponseError } from "./errors.ts";

/** The original's retry delays in seconds: at most 8 attempts, 42 s of sleeping. */
export const RETRY_DELAYS = [1, 2, 4, 5, 10, 10, 10];
/** Per-request timeout when `CONTREE_TIMEOUT` is not set. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest `Retry-After` we honour for a 429, in seconds. */
const MAX_RETRY_AFTER = 60;
/** Largest response body read when `CONTREE_MAX_RESPONSE_BYTES` is not set (64 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** How to reach and authenticate against the ConTree API. */
export interface ClientOptions {
  /** Base URL, with an optional path prefix (`https://host/api`). */
  url: string;
  /** `iam` profiles also send the `Project` header. */
  auth: "jwt" | "iam";
  /** Bearer token sent as `Authorization: Bearer <token>`; none is sent when unset. */
  token?: string;
  /** Project id, sent as the `Project` header by `iam` profiles. */
  project?: string;
  /** The `fetch` to use (default: the global one); tests pass a fake. */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
  /** Delays (seconds) before each retry; its length + 1 is the attempt limit. */
  retryDelays?: number[];
  /** Waits between retries (default: the abortable {@link delay}); tests pass an instant one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Stops every request of this client (in flight, or waiting to retry) when it aborts; the
   * request then rejects with {@link Interrupted}. The CLI passes its Ctrl-C signal here.
   */
  signal?: AbortSignal;
  /** Largest response body read, in bytes (default {@link DEFAULT_MAX_RESPONSE_BYTES}). */
  maxResponseBytes?: number;
}

/** Per-request options of {@link Client.request}. */
export interface RequestOptions {
  /** Aborts this request (and its retry back-off) with {@link Interrupted}. */
  signal?: AbortSignal;
  /**
   * The caller has no use for a 2xx answer's body (a DELETE's echo): it is read to its end (a
   * cut-off answer is still a network error) but neither kept nor decoded, whatever its size,
   * and the response's `text` is empty. Error answers are still read for their message, and at
   * debug level every body is read for the log.
   */
  discardBody?: boolean;
}

/** Options of {@link Client.getJson}. */
export interface GetJsonOptions extends RequestOptions {
  /**
   * Keep the server's numbers exactly as sent (big integers, `5.0`; Python's `NaN` accepted),
   * for output that shows them; default: plain `JSON.parse`, for bodies only read for ids.
   */
  exact?: boolean;
}

/** A decoded 2xx answer. */
export interface ApiResponse {
  /** The HTTP status (2xx). */
  status: number;
  /** The body as text. */
  text: string;
}

/** The one HTTP client: auth headers, path prefix, retries, timeout, debug logs. */
export interface Client {
  /**
   * Sends one request (with retries); resolves on 2xx, throws ApiError/NetworkError otherwise
   * (a 3xx is an ApiError: redirects are never followed), {@link Interrupted} when aborted.
   */
  request(
    method: string,
    path: string,
    query?: [string, string][],
    opts?: RequestOptions,
  ): Promise<ApiResponse>;
  /** GET and decode JSON (the one JSON getter); a body that is not JSON is a {@link ResponseError}. */
  getJson(path: string, query?: [string, string][], opts?: GetJsonOptions): Promise<unknown>;
}

const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
]);

/** Renders headers as the original's debug logs do, with secret values replaced. */
export function redactHeaders(headers: Iterable<[string, string]>): string {
  const items = [...headers].map(([k, v]) =>
    `'${k}': '${SECRET_HEADERS.has(k.toLowerCase()) ? "<redacted>" : v}'`
  );
  return `{${items.join(", ")}}`;
}

/** Renders a body for debug logs: `<empty>`, the text cut at 4096 bytes, or `<binary NB>`. */
export function describeBody(text: string, contentType: string | null, limit = 4096): string {
  if (text === "") return "<empty>";
  const size = new TextEncoder().encode(text).length;
  if (contentType && !/json|text/i.test(contentType)) {
    return `<binary ${size}B Content-Type='${contentType}'>`;
  }
  if (text.includes("\uFFFD")) return `<binary ${size}B>`;
  if (size <= limit) return text;
  // Mask before cutting, so the cut cannot leave the start of an echoed token unmasked.
  let kept = maskSecrets(text).slice(0, limit);
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1); // no half surrogate pair
  return `${maskSecretTail(kept)}... <truncated, ${size}B total>`;
}

/** Formats seconds as Python's `str()` would in the retry warnings: `1`, `0.5`. */
function secondsText(s: number): string {
  return Number.isInteger(s) ? String(s) : String(Number(s.toFixed(3)));
}

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Parses `Retry-After` into seconds, capped at 60: a non-negative integer, or an HTTP date in
 * the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`). Anything else (`-5`, `0.5`, other date
 * forms) is undefined, as is an absent header. A date in the past gives 0.
 *
 * @example
 * ```ts
 * retryAfterSeconds("7"); // 7
 * retryAfterSeconds("-5"); // undefined
 * retryAfterSeconds("Sun, 06 Nov 1994 08:49:47 GMT", Date.UTC(1994, 10, 6, 8, 49, 37)); // 10
 * ```
 */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let secs: number;
  if (/^\d{1,16}$/.test(text)) {
    secs = Number(text);
  } else {
    const m = IMF_FIXDATE.exec(text);
    if (!m) return undefined;
    const [, , d, mon, y, hh, mm, ss] = m;
    const at = Date.UTC(Number(y), MONTHS.indexOf(mon), Number(d), Number(hh), Number(mm), +ss);
    if (!Number.isFinite(at) || new Date(at).getUTCDate() !== Number(d)) return undefined;
    secs = Math.ceil((at - now) / 1000);
  }
  return Math.min(Math.max(secs, 0), MAX_RETRY_AFTER);
}

/** Renders a byte count for the body-limit error: `64 MiB`, or the exact bytes. */
function bytesText(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/**
 * Makes a redirect target printable: resolved against the request URL when it parses (which
 * percent-encodes anything odd), else JSON-quoted with control characters escaped.
 */
function describeLocation(location: string | null, url: string): string {
  if (location === null) return "redirected without a Location";
  try {
    return `redirected to ${new URL(location, url).href}`;
  } catch {
    return `redirected to ${JSON.stringify(location)}`;
  }
}

/** Maps a fetch failure to the short class-like name of the retry warning. */
function networkKind(e: unknown): string {
  const text = `${e instanceof Error ? e.message : e} ${
    e instanceof Error && e.cause ? String(e.cause) : ""
  }`.toLowerCase();
  if (text.includes("refused")) return "ConnectionRefusedError";
  if (text.includes("reset")) return "ConnectionResetError";
  if (/dns|lookup|name or service|no such host/.test(text)) return "DNSError";
  if (/closed|incomplete|eof|body|decod/.test(text)) return "RemoteDisconnected";
  return e instanceof Error ? e.name : "Error";
}

/** The first line of a fetch failure, without Rust-side noise where possible. */
function networkMessage(e: unknown, method: string, url: string): string {
  // Deno's fetch says "fetch failed"; the OS-level reason is in `cause`.
  const raw = e instanceof Error ? `${e.cause ?? e.message}` : String(e);
  const reason = /connection refused/i.test(raw)
    ? "Connection refused"
    : /connection reset/i.test(raw)
    ? "Connection reset by peer"
    : raw.split("\n")[0];
  return `${reason} (${method} ${url})`;
}

/** Parses a base URL; the scheme defaults to https. */
export function normaliseBaseUrl(url: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`;
  const parsed = new URL(withScheme); // throws TypeError on a malformed URL
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(`unsupported URL scheme ${parsed.protocol}`);
  }
  return parsed;
}

/**
 * Creates the API client. Header problems (no token, IAM without project) are reported per
 * request as `ApiError` status 0, as the original does, so `kill` logs them per UUID.
 *
 * @example
 * ```ts
 * // A stand-in for the API; leave `fetch` out to use the network.
 * const fetch = () => Promise.resolve(new Response(null, { status: 202 }));
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t", fetch });
 * await client.request("DELETE", "/v1/operations/019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f");
 * ```
 */
export function createClient(opts: ClientOptions): Client {
  const base = normaliseBaseUrl(opts.url);
  const prefix = base.pathname.replace(/\/+$/, ""); // `https://h/api/` → `/api`
  const origin = base.origin;
  const doFetch = opts.fetch ?? fetch;
  const delays = opts.retryDelays ?? RETRY_DELAYS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sleep = opts.sleep ?? delay;
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const ua = userAgent();
  const deadlines = new Deadlines(timeoutMs, opts.signal);

  // Built once: every request of this client sends the same headers (fetch copies them). A
  // plain record, not a `Headers`: fetch converts a record faster than it iterates a `Headers`
  // (measured ~60 ms per 10,000 DELETEs). Its keys are a `Headers`' iteration (lower-case,
  // sorted), so what is sent is byte-identical to sending that `Headers`.
  const fixedHeaders = buildHeaders();
  function buildHeaders(): Record<string, string> | (() => ApiError) {
    if (!opts.token) {
      return () =>
        new ApiError(
          0,
          "Unauthorized",
          "No token configured: set CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass --token, or add `token = ...` to the profile in auth.ini",
        );
    }
    const h = new Headers({ "Authorization": `Bearer ${opts.token}`, "User-Agent": ua });
    if (opts.auth === "iam") {
      if (!opts.project) {
        return () =>
          new ApiError(
            0,
            "No project",
            "No project configured: pass -P/--project or add `project = ...` to the profile in auth.ini",
          );
      }
      h.set("Project", opts.project);
    }
    return Object.fromEntries(h);
  }
  function headers(): Record<string, string> {
    if (typeof fixedHeaders === "function") throw fixedHeaders();
    return fixedHeaders;
  }

  /**
   * Whether a body may be read in one go: its length is declared, within the cap and not decoded
   * on the way, so its size cannot exceed what was declared.
   */
  function readsInOneGo(res: Response, declared: number): boolean {
    return declared <= maxBytes && !res.headers.has("content-encoding");
  }

  /**
   * Reads a body incrementally, at most `maxBytes`; over it the stream is cancelled and a
   * {@link ResponseError} names the limit and the endpoint. Never buffers more than the cap.
   */
  async function readBody(res: Response, method: string, path: string): Promise<string> {
    const tooLarge = () =>
      new ResponseError(
        `Response to ${method} ${path} is larger than the ${
          bytesText(maxBytes)
        } limit (CONTREE_MAX_RESPONSE_BYTES)`,
      );
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    if (!res.body) return "";
    if (readsInOneGo(res, declared)) return await res.text();
    return await readCapped(res.body, maxBytes, tooLarge);
  }

  /**
   * Reads an unwanted body to its end, keeping nothing: a declared length within the cap in one
   * read (nothing decoded), anything else chunk by chunk (never more than a chunk held), and at
   * most the cap: past it the rest is cancelled, not waited for (the status said it all).
   */
  async function drainBody(res: Response): Promise<string> {
    if (!res.body) return "";
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (readsInOneGo(res, declared)) {
      await res.arrayBuffer();
      return "";
    }
    let read = 0;
    // Leaving the loop early cancels the stream.
    for await (const chunk of res.body) if ((read += chunk.byteLength) > maxBytes) break;
    return "";
  }

  async function attempt(
    method: string,
    path: string,
    url: string,
    user: AbortSignal | undefined,
    discard: boolean,
  ) {
    const reqHeaders = headers();
    const debug = log.isEnabledFor("debug");
    if (debug) {
      log.debug(
        `${method} ${path} headers=${redactHeaders(Object.entries(reqHeaders))} body=<none>`,
      );
    }
    const started = performance.now();
    // The timeout comes from the client's shared deadline sweep (one timer per slot of
    // deadlines, not one per request); it already aborts on the client's own signal, so only a
    // different per-request signal is linked to it.
    const deadline = deadlines.start();
    const linked = user === opts.signal ? undefined : linkSignals(user, deadline.signal);
    const signal = linked?.signal ?? deadline.signal;
    try {
      if (user?.aborted) throw new Interrupted();
      // Never follow a redirect: it could take the token, or a DELETE turned GET, elsewhere.
      const res = await doFetch(url, { method, headers: reqHeaders, signal, redirect: "manual" });
      const text = discard && res.ok && !debug
        ? await drainBody(res)
        : await readBody(res, method, path);
      if (debug) {
        const ms = (performance.now() - started).toFixed(0);
        const reason = reasonPhrase(res.status, res.statusText);
        const size = res.ok ? "" : ` (${new TextEncoder().encode(text).length}B)`;
        log.debug(
          `${method} ${path} -> ${res.status} ${reason}${size} in ${ms}ms headers=${
            redactHeaders(res.headers)
          }`,
        );
        log.debug(
          `${method} ${path} response body: ${describeBody(text, res.headers.get("content-type"))}`,
        );
      }
      return { res, text };
    } catch (e) {
      if (user?.aborted) throw new Interrupted();
      if (e instanceof ResponseError) throw e;
      if (deadline.timedOut()) {
        throw new NetworkError(`Request timed out: ${method} ${path}`, "TimeoutError");
      }
      throw new NetworkError(networkMessage(e, method, url), networkKind(e));
    } finally {
      linked?.dispose();
    }
  }

  async function request(
    method: string,
    endpoint: string,
    query: [string, string][] = [],
    reqOpts: RequestOptions = {},
  ): Promise<ApiResponse> {
    const qs = query.length ? `?${new URLSearchParams(query)}` : "";
    const path = `${prefix}${endpoint}${qs}`;
    const url = `${origin}${path}`;
    // The common case (no signal of its own, or the client's): nothing to link per request.
    const discard = reqOpts.discardBody ?? false;
    if (!reqOpts.signal || reqOpts.signal === opts.signal) {
      return send(method, path, url, opts.signal, discard);
    }
    const linked = linkSignals(opts.signal, reqOpts.signal);
    try {
      return await send(method, path, url, linked.signal, discard);
    } finally {
      linked.dispose();
    }
  }

  async function send(
    method: string,
    path: string,
    url: string,
    user: AbortSignal | undefined,
    discard: boolean,
  ): Promise<ApiResponse> {
    for (let i = 0;; i++) {
      const delay = delays[i];
      let failure: Error;
      let wait = delay;
      try {
        const { res, text } = await attempt(method, path, url, user, discard);
        if (res.ok) return { status: res.status, text };
        const reason = reasonPhrase(res.status, res.statusText);
        if (res.status >= 300 && res.status <= 399) {
          throw new ApiError(
            res.status,
            reason,
            `${describeLocation(res.headers.get("location"), url)}; check the profile's url`,
          );
        }
        failure = new ApiError(res.status, reason, text);
        if (res.status === 429) {
          // Never sooner than the normal back-off step, never later than the cap.
          const after = retryAfterSeconds(res.headers.get("retry-after"));
          wait = after === undefined ? delay : Math.max(after, delay ?? 0);
          if (delay !== undefined) {
            log.warning(`Rate limited (429), retrying in ${secondsText(wait)}s…`);
          }
        } else if (res.status >= 500 && res.status <= 599) {
          if (delay !== undefined) {
            log.warning(`Server error ${res.status}, retrying in ${secondsText(delay)}s…`);
          }
        } else {
          throw failure;
        }
      } catch (e) {
        if (!(e instanceof NetworkError) || e.kind === "TimeoutError") throw e;
        failure = e;
        if (delay !== undefined) {
          log.warning(`Network error (${e.kind}), retrying in ${secondsText(delay)}s…`);
        }
      }
      if (delay === undefined) throw failure;
      try {
        await sleep(wait * 1000, user);
      } catch (e) {
        if (user?.aborted) throw new Interrupted();
        throw e;
      }
      if (user?.aborted) throw new Interrupted();
    }
  }

  async function getJson(
    path: string,
    query: [string, string][] = [],
    reqOpts: GetJsonOptions = {},
  ): Promise<unknown> {
    const { text } = await request("GET", path, query, { signal: reqOpts.signal });
    try {
      return reqOpts.exact ? parseJson(text) : JSON.parse(text);
    } catch {
      const sample = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      const qs = query.length ? `?${new URLSearchParams(query)}` : "";
      throw new ResponseError(
        `Malformed response from GET ${prefix}${path}${qs}: not JSON: ${JSON.stringify(sample)}`,
      );
    }
  }

  return { request, getJson };
}
