// Helpers for the --serve tests: start the real main.ts as a server and sign requests.
import { createHmac } from "node:crypto";
import { githubSign, StandardWebhook } from "../deps.ts";
import { spawnContree } from "../helpers.ts";

/** A Standard Webhooks secret (24 bytes) and GitHub-style secrets used across the tests. */
export const STD_SECRET = "whsec_" + btoa("contree-test-secret-0001!");
export const STD_SECRET_2 = "whsec_" + btoa("contree-test-secret-0002!");
export const GH_SECRET = "gh-secret-one-0123456789";
export const GH_SECRET_2 = "gh-secret-two-0123456789";
export const ALL_SECRETS = [STD_SECRET, GH_SECRET, STD_SECRET_2, GH_SECRET_2].join(" ");

/** A running `contree kill --serve`. */
export interface ServeProcess {
  url: string;
  child: Deno.ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Sends a signal and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<{ code: number; stderr: string }>;
}

/** Starts `contree [pre...] kill --serve --port 0 [args...]` and waits for its address. */
export function startServe(
  opts: { home: string; env?: Record<string, string>; args?: string[]; command?: string[] },
): Promise<ServeProcess> {
  const child = spawnContree(
    [...(opts.command ?? ["kill"]), "--serve", "--port", "0", ...(opts.args ?? [])],
    { home: opts.home, env: { CONTREE_WEBHOOK_SECRET: ALL_SECRETS, ...opts.env } },
  );
  child.stdout.cancel();
  return attachServe(child);
}

/**
 * Follows a spawned `--serve` child's stderr until it logs its address (15 s at most; the child
 * is killed if it exits or stays silent), then returns the handle the tests drive it with. Its
 * stdout must not be piped, or already cancelled.
 */
export async function attachServe(child: Deno.ChildProcess): Promise<ServeProcess> {
  let text = "";
  const decoder = new TextDecoder();
  const { promise: urlPromise, resolve: resolveUrl, reject: rejectUrl } = Promise
    .withResolvers<string>();
  const pump = (async () => {
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const m = /Listening on (http:\/\/[^\s"]+)/.exec(text);
      if (m) resolveUrl(m[1]);
    }
    rejectUrl(new Error(`server exited before listening:\n${text}`));
  })();
  const timer = setTimeout(() => rejectUrl(new Error(`no address after 15 s:\n${text}`)), 15_000);
  let url: string;
  try {
    url = await urlPromise;
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await pump;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  let stopped: Promise<{ code: number; stderr: string }> | undefined;
  return {
    url,
    child,
    stderr: () => text,
    stop(signal = "SIGTERM") {
      stopped ??= (async () => {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
        const status = await child.status;
        await pump;
        return { code: status.code, stderr: text };
      })();
      return stopped;
    },
  };
}

/** Headers of a Standard Webhooks delivery of `body` (signed by the `standardwebhooks` package). */
export function standardHeaders(
  body: string,
  opts: { id?: string; secret?: string; timestamp?: number } = {},
): Promise<Record<string, string>> {
  const id = opts.id ?? `msg_${crypto.randomUUID()}`;
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  return Promise.resolve({
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": new StandardWebhook((opts.secret ?? STD_SECRET).slice(6)).sign(
      id,
      new Date(ts * 1000),
      body,
    ),
  });
}

/**
 * Headers of a Standard Webhooks delivery of raw bytes (for bodies that are not UTF-8, which the
 * `standardwebhooks` package would re-encode as text): HMAC-SHA256 by node:crypto.
 */
export function standardHeadersForBytes(
  body: Uint8Array,
  opts: { id?: string; secret?: string; timestamp?: number } = {},
): Record<string, string> {
  const id = opts.id ?? `msg_${crypto.randomUUID()}`;
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const key = Uint8Array.from(atob((opts.secret ?? STD_SECRET).slice(6)), (ch) => ch.charCodeAt(0));
  const mac = createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest("base64");
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": `v1,${mac}`,
  };
}

/** Headers of a GitHub-style delivery of `body`. */
export async function githubHeaders(
  body: string,
  opts: { id?: string; secret?: string } = {},
): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "x-github-delivery": opts.id ?? crypto.randomUUID(),
    "x-hub-signature-256": await githubSign(opts.secret ?? GH_SECRET, body),
  };
}

/** POSTs a body to /v1/cancel and returns status, headers and parsed JSON. */
export async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }> {
  const res = await fetch(`${url}/v1/cancel`, { method: "POST", body, headers });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

/** GET helper returning status and text. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Polls `check` every 25 ms until it returns a value (not undefined/false), or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Reads until the server closes `conn` (EOF or reset) and returns what it sent; rejects when the
 * connection is still open after `withinMs`.
 */
export async function closedByServer(conn: Deno.Conn, withinMs: number): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, withinMs);
  const started = Date.now();
  try {
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
  if (Date.now() - started >= withinMs) throw new Error(`still open after ${withinMs} ms`);
  return text;
}
