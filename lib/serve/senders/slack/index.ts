// Slack slash commands (`/contree-cancel UUID… | all [kind]`): the `X-Slack-Signature` check,
// the form body, the ephemeral answer, and the delayed result POSTed to the `response_url`.
// The response_url is the one place the server contacts a host other than the configured API;
// only URLs under an allowed prefix (https://hooks.slack.com/ by default) are followed.
import { type CancelRequest, DEFAULT_MAX_UUIDS, parseCancelRequest } from "../../payload/index.ts";
import {
  anyMatches,
  checkId,
  hexBytes,
  reject,
  TIMESTAMP_TOLERANCE_SECONDS,
  type Verification,
} from "../../verify/index.ts";

/** Where Slack's `response_url`s live; any other URL is refused unless configured. */
export const SLACK_RESPONSE_URL_PREFIX = "https://hooks.slack.com/";
/** Slack waits this long for the answer to a slash command; the server answers a bit sooner. */
export const SLACK_ANSWER_MS = 2500;

const encoder = new TextEncoder();

/** Headers of a Slack request. */
export interface SlackHeaders {
  /** `X-Slack-Request-Timestamp`, Unix seconds. */
  timestamp?: string | null;
  /** `X-Slack-Signature`: `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">`. */
  signature?: string | null;
}

function formOf(raw: Uint8Array): URLSearchParams | undefined {
  try {
    return new URLSearchParams(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    return undefined;
  }
}

/**
 * Verifies Slack's request signature: `X-Slack-Signature: v0=<hex>` is the HMAC-SHA256, under
 * the app's signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`; the timestamp must
 * be within 5 minutes of `now`. The delivery id is the command's `trigger_id` (one per
 * invocation), read once the signature matched.
 *
 * @example
 * ```ts
 * // Slack's documented example ("Verifying requests from Slack").
 * const secret = "8f742231b10e8888abcd99yyyzzz85a5";
 * const key = await crypto.subtle.importKey(
 *   "raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"],
 * );
 * const body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
 * const v = await verifySlack([key], {
 *   timestamp: "1531420618",
 *   signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
 * }, new TextEncoder().encode(body), 1531420618_000);
 * v.ok; // true
 * ```
 */
export async function verifySlack(
  keys: readonly CryptoKey[],
  headers: SlackHeaders,
  body: Uint8Array,
  now = Date.now(),
): Promise<Verification> {
  if (!headers.timestamp) {
    return reject("missing_header", "missing X-Slack-Request-Timestamp header");
  }
  if (!/^\d{1,12}$/.test(headers.timestamp)) {
    return reject("malformed_header", "malformed X-Slack-Request-Timestamp header (Unix seconds)");
  }
  if (Math.abs(now / 1000 - Number(headers.timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) {
    return reject("stale", "X-Slack-Request-Timestamp is outside the 5-minute tolerance window");
  }
  if (!headers.signature) return reject("missing_header", "missing X-Slack-Signature header");
  if (!/^v0=(?:[0-9a-fA-F]{2}){1,64}$/.test(headers.signature)) {
    return reject("malformed_header", "malformed X-Slack-Signature header (v0=<64 hex> expected)");
  }
  if (!keys.length) {
    return reject(
      "no_secret",
      "no Slack signing secret is configured (CONTREE_SLACK_SIGNING_SECRET)",
    );
  }
  const prefix = encoder.encode(`v0:${headers.timestamp}:`);
  const data = new Uint8Array(prefix.length + body.length);
  data.set(prefix);
  data.set(body, prefix.length);
  if (!await anyMatches(keys, [hexBytes(headers.signature.slice(3))], data)) {
    return reject("bad_signature", "signature does not match");
  }
  const trigger = formOf(body)?.get("trigger_id");
  const idProblem = checkId(trigger, "trigger_id field");
  const id = idProblem ? `slack_${crypto.randomUUID()}` : `slack_${trigger}`;
  return { ok: true, delivery: { scheme: "slack", id: id.slice(0, 256) } };
}

/** A parsed slash command. */
export interface SlackCommand {
  /** What to cancel, or undefined with `usage` set. */
  request?: CancelRequest;
  /** Why the text was not understood (answered as an ephemeral message). */
  usage?: string;
  /** Where the delayed result goes (not yet checked against the allowed prefix). */
  responseUrl?: string;
  /** The command as typed (`/contree-cancel`), for messages. */
  command: string;
}

const USAGE = "usage: {cmd} UUID [UUID...] | all [instance|image_import]";

/**
 * Parses a slash command's form body: `text` is `UUID…`, `all` or `all <kind>`. Anything else
 * (or `help`, or nothing) gives a usage message instead of a request.
 *
 * @example
 * ```ts
 * const body = new TextEncoder().encode("command=%2Fcontree-cancel&text=all+instance&trigger_id=1.2.3");
 * parseSlackCommand(body).request; // { all: true, kind: "instance" }
 * ```
 */
export function parseSlackCommand(raw: Uint8Array, maxUuids = DEFAULT_MAX_UUIDS): SlackCommand {
  const form = formOf(raw);
  const shownCommand = form?.get("command") ?? "";
  const command = /^\/[\w-]{1,64}$/.test(shownCommand) ? shownCommand : "/contree-cancel";
  const usage = USAGE.replace("{cmd}", command);
  if (!form) return { command, usage: `the request is not UTF-8 form data; ${usage}` };
  const responseUrl = form.get("response_url") ?? undefined;
  const words = (form.get("text") ?? "").trim().split(/\s+/).filter((w) => w !== "");
  const base = { command, ...(responseUrl ? { responseUrl } : {}) };
  if (!words.length || words[0].toLowerCase() === "help") return { ...base, usage };
  let body: Record<string, unknown>;
  if (words[0].toLowerCase() === "all") {
    if (words.length > 2) return { ...base, usage };
    body = words.length === 2 ? { all: true, kind: words[1].toLowerCase() } : { all: true };
  } else {
    body = { uuids: words };
  }
  const parsed = parseCancelRequest(encoder.encode(JSON.stringify(body)), maxUuids);
  if (!parsed.ok) return { ...base, usage: `${parsed.error.message}; ${usage}` };
  return { ...base, request: parsed.request };
}

/**
 * Escapes text for a Slack message (`&`, `<`, `>`, so nothing becomes a link or a mention) and
 * turns control characters (newlines too) into spaces.
 */
export function slackEscape(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, " ").replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/**
 * The message text for a delivery's JSON answer (as rendered by the store): what was cancelled,
 * what was not and why.
 *
 * @example
 * ```ts
 * slackSummary({ status: "done", counts: { requested: 1, cancelled: 1 }, outcomes: [] });
 * // "Done: 1 of 1 operation(s) cancelled."
 * ```
 */
export function slackSummary(result: Record<string, unknown>): string {
  const counts = (result.counts ?? {}) as Record<string, number>;
  const outcomes = (result.outcomes ?? []) as { uuid: string; status: string; error?: string }[];
  const status = String(result.status ?? "");
  const head = status === "done"
    ? "Done"
    : status === "gave_up"
    ? "Gave up retrying"
    : status === "pending"
    ? "Working on it"
    : "Not finished yet; still retrying";
  const parts = [
    `${head}: ${counts.cancelled ?? 0} of ${counts.requested ?? 0} operation(s) cancelled`,
  ];
  if (counts.already_finished) parts.push(`${counts.already_finished} already finished`);
  if (counts.not_found) parts.push(`${counts.not_found} not found`);
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.not_attempted) parts.push(`${counts.not_attempted} not attempted yet`);
  const text = `${parts.join(", ")}.`;
  const lines = [text];
  if (result.error === "upstream_error" && typeof result.message === "string") {
    lines.push(result.message);
  }
  for (const o of outcomes.filter((o) => o.status === "failed").slice(0, 10)) {
    lines.push(`${o.uuid}: ${o.error ?? "failed"}`);
  }
  if (status === "pending" || status === "retrying") lines.push("The result will follow here.");
  const out = lines.map(slackEscape).join("\n");
  return out.length > 3000 ? `${out.slice(0, 2997)}...` : out;
}

/** An ephemeral message (seen only by the user who typed the command). */
export function ephemeral(text: string): Record<string, unknown> {
  return { response_type: "ephemeral", text };
}

/** Options of {@link postSlackResponse}. */
export interface PostOptions {
  /** Only URLs starting with this are followed (default {@link SLACK_RESPONSE_URL_PREFIX}). */
  prefix?: string;
  /** Gives up after this long (default 10 s). */
  timeoutMs?: number;
  /** The `fetch` to use (tests). */
  fetch?: typeof fetch;
}

/**
 * Checks a `response_url` against the allowed prefix: an `https:` URL (or the prefix's own
 * scheme) with no credentials, starting with the prefix. Returns the URL or a reason.
 *
 * @example
 * ```ts
 * allowedResponseUrl("https://hooks.slack.com/commands/T1/2/x"); // a URL
 * allowedResponseUrl("https://evil.example/commands"); // "not under https://hooks.slack.com/"
 * ```
 */
export function allowedResponseUrl(
  raw: string,
  prefix = SLACK_RESPONSE_URL_PREFIX,
): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.username || url.password) return "has credentials";
  if (!url.href.startsWith(prefix)) return `not under ${prefix}`;
  return url;
}

/**
 * POSTs `message` (JSON) to a Slack `response_url` under the allowed prefix: no redirect is
 * followed, the answer's body is not read, and it gives up after the timeout. Resolves to
 * `"ok"` or a short reason; never throws.
 */
export async function postSlackResponse(
  responseUrl: string,
  message: Record<string, unknown>,
  opts: PostOptions = {},
): Promise<string> {
  const url = allowedResponseUrl(responseUrl, opts.prefix);
  if (typeof url === "string") return `response_url refused: ${url}`;
  const doFetch = opts.fetch ?? fetch;
  try {
    const res = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(message),
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    return res.ok ? "ok" : `response_url answered ${res.status}`;
  } catch (e) {
    return `response_url unreachable (${e instanceof Error ? e.name : "error"})`;
  }
}
