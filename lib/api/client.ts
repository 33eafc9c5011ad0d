import { log } from "../log/log.ts";
import { userAgent } from "../version.ts";
import { ApiError, NetworkError, reasonPhrase, ResponseError } from "./errors.ts";

/** The original's retry delays in seconds: at most 8 attempts, 42 s of sleeping. */
export const RETRY_DELAYS = [1, 2, 4, 5, 10, 10, 10];
/** Per-request timeout when `CONTREE_TIMEOUT` is not set (decisions.md §24). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest `Retry-After` we honour for a 429, in seconds. */
const MAX_RETRY_AFTER = 60;

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
  /** Waits between retries (default: a timer); tests pass an instant one. */
  sleep?: (ms: number) => Promise<void>;
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
  /** Sends one request (with retries); resolves on 2xx, throws ApiError/NetworkError otherwise. */
  request(method: string, path: string, query?: [string, string][]): Promise<ApiResponse>;
  /** GET and decode JSON; a body that is not JSON is a {@link ResponseError}. */
  getJson(path: string, query?: [string, string][]): Promise<unknown>;
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
  return size > limit ? `${text.slice(0, limit)}... <truncated, ${size}B total>` : text;
}

/** Formats seconds as Python's `str()` would in the retry warnings: `1`, `0.5`. */
function secondsText(s: number): string {
  return Number.isInteger(s) ? String(s) : String(Number(s.toFixed(3)));
}

/** Parses `Retry-After` (seconds or an HTTP date) into seconds, capped; undefined if absent. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = /^\s*\d+\s*$/.test(value) ? Number(value) : (Date.parse(value) - now) / 1000;
  if (!Number.isFinite(secs)) return undefined;
  return Math.min(Math.max(secs, 0), MAX_RETRY_AFTER);
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
 * const client = createClient({ url: "http://127.0.0.1:8080", auth: "jwt", token: "t" });
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
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const ua = userAgent();

  function headers(): Headers {
    if (!opts.token) {
      throw new ApiError(0, "Unauthorized", "No token configured. Run `contree auth` first.");
    }
    const h = new Headers({ "Authorization": `Bearer ${opts.token}`, "User-Agent": ua });
    if (opts.auth === "iam") {
      if (!opts.project) {
        throw new ApiError(0, "No project", "No project configured. Run `contree auth` first.");
      }
      h.set("Project", opts.project);
    }
    return h;
  }

  async function attempt(method: string, path: string, url: string) {
    const reqHeaders = headers();
    const debug = log.isEnabledFor("debug");
    if (debug) log.debug(`${method} ${path} headers=${redactHeaders(reqHeaders)} body=<none>`);
    const started = performance.now();
    // A timer we clear ourselves: AbortSignal.timeout() would keep every finished request alive
    // until its timer fires, which grows memory without bound in a busy --serve.
    const controller = new AbortController();
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await doFetch(url, { method, headers: reqHeaders, signal });
      const text = await res.text();
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
      if (signal.aborted) {
        throw new NetworkError(`Request timed out: ${method} ${path}`, "TimeoutError");
      }
      throw new NetworkError(networkMessage(e, method, url), networkKind(e));
    } finally {
      clearTimeout(timer);
    }
  }

  async function request(
    method: string,
    endpoint: string,
    query: [string, string][] = [],
  ): Promise<ApiResponse> {
    const qs = query.length ? `?${new URLSearchParams(query)}` : "";
    const path = `${prefix}${endpoint}${qs}`;
    const url = `${origin}${path}`;
    for (let i = 0;; i++) {
      const delay = delays[i];
      let failure: Error;
      let wait = delay;
      try {
        const { res, text } = await attempt(method, path, url);
        if (res.ok) return { status: res.status, text };
        failure = new ApiError(res.status, reasonPhrase(res.status, res.statusText), text);
        if (res.status === 429) {
          wait = retryAfterSeconds(res.headers.get("retry-after")) ?? delay;
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
      await sleep(wait * 1000);
    }
  }

  async function getJson(path: string, query: [string, string][] = []): Promise<unknown> {
    const { text } = await request("GET", path, query);
    try {
      return JSON.parse(text);
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
