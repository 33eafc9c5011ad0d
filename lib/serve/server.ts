// `contree kill --serve`: reads the settings, builds the app, listens, and on SIGINT/SIGTERM
// stops accepting, finishes in-flight cancels within a grace period and returns 0.
import type { CommandContext } from "../cli/spec.ts";
import { concurrencyFromEnv } from "../config/env.ts";
import { dirname, resolve } from "node:path";
import { contreeHome } from "../config/config.ts";
import { envNumber } from "../config/env.ts";
import { log, logJsonLines, maskSecrets } from "../log/log.ts";
import { accessLogWriter } from "../log/access.ts";
import { sessionDbPath } from "../session/schema.ts";
import { createWebhookApp, DEFAULT_RATE_PER_SECOND, DEFAULT_UPSTREAM_LIMIT } from "./app.ts";
import { DEFAULT_RETRY_FOR_MS } from "./deliveries/index.ts";
import {
  DEFAULT_MAX_BYTES,
  type DeliveryStore,
  memoryStore,
  sqliteStore,
  StateFileError,
  type StoreOptions,
} from "./dedupe/index.ts";
import { SecretError } from "./verify/index.ts";
import { readSenderSecrets } from "./verify/secrets.ts";
import { parseTrustedProxies, type TrustedProxies } from "./proxy/index.ts";
import { SLACK_RESPONSE_URL_PREFIX } from "./senders/slack/index.ts";
import { type GuardedServer, limitsFromEnv, listen } from "./listen/index.ts";

/** Seconds given to in-flight cancels after SIGINT/SIGTERM (`CONTREE_WEBHOOK_GRACE`). */
export const DEFAULT_GRACE_SECONDS = 30;

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Opens the `--state` file, or returns a one-line reason it cannot be used: a missing directory,
 * the session database (or any file with other tables), a file SQLite cannot open.
 */
function openStateFile(
  path: string,
  sessionDb: string,
  opts: StoreOptions,
): DeliveryStore | string {
  const dir = dirname(resolve(path));
  try {
    if (!Deno.statSync(dir).isDirectory) {
      return `Cannot open --state file '${path}': '${dir}' is not a directory`;
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return `Cannot open --state file '${path}': directory '${dir}' does not exist`;
    }
    return `Cannot open --state file '${path}': ${e instanceof Error ? e.message : e}`;
  }
  if (samePath(path, sessionDb)) {
    return `--state '${path}' is the session database; give the webhook server a file of its own`;
  }
  try {
    return sqliteStore(path, opts);
  } catch (e) {
    if (e instanceof StateFileError) return `--state '${path}' is ${e.message}`;
    return `Cannot open --state file '${path}': ${e instanceof Error ? e.message : e}`;
  }
}

/** Resolves once SIGINT (the CLI's interrupt signal) or SIGTERM arrives. */
function stopSignal(interrupt: AbortSignal): { promise: Promise<string>; dispose(): void } {
  let onTerm: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<string>((resolve) => {
    if (interrupt.aborted) return resolve("SIGINT");
    onAbort = () => resolve("SIGINT");
    interrupt.addEventListener("abort", onAbort, { once: true });
    // Windows only delivers SIGINT and SIGBREAK.
    if (Deno.build.os !== "windows") {
      onTerm = () => resolve("SIGTERM");
      Deno.addSignalListener("SIGTERM", onTerm);
    }
  });
  return {
    promise,
    dispose() {
      if (onAbort) interrupt.removeEventListener("abort", onAbort);
      if (onTerm) Deno.removeSignalListener("SIGTERM", onTerm);
    },
  };
}

/**
 * Arguments of `kill --serve` / `op cancel --serve`, as the command table parses them (the
 * flags are declared in lib/cli/commands.ts, SERVE_OPTIONS).
 */
export interface ServeArgs {
  /** UUIDs given on the command line: refused, each webhook names its own. */
  uuids: string[];
  /** `--all` on the command line: refused likewise. */
  all: boolean;
  /** `--hostname`. */
  hostname: string;
  /** `--port` (0: any free port). */
  port: number;
  /** `--state`: the SQLite file of answered deliveries. */
  state?: string;
  /** `--deadline`, seconds. */
  deadline: number;
  /** `--trust-proxy CIDR[,CIDR]`: proxies whose X-Forwarded-For names the client. */
  trustProxy?: string;
}

/** The `--serve` handler of `kill` / `op cancel`. */
export async function serve(ctx: CommandContext<ServeArgs>): Promise<number> {
  const { args, io } = ctx;
  if (args.uuids.length || args.all) {
    log.error("--serve takes no UUIDs or --all: each webhook's body says what to cancel");
    return 1;
  }
  let senders;
  try {
    senders = await readSenderSecrets(io.env);
  } catch (e) {
    if (e instanceof SecretError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  const secrets = senders.webhook;
  let trustProxy: TrustedProxies | undefined;
  if (args.trustProxy !== undefined) {
    try {
      trustProxy = parseTrustedProxies(args.trustProxy);
    } catch (e) {
      log.error(`--trust-proxy: ${e instanceof Error ? e.message : e}`);
      return 2;
    }
  }
  const slackPrefix = io.env.CONTREE_SLACK_RESPONSE_URL_PREFIX || SLACK_RESPONSE_URL_PREFIX;
  if (!/^https?:\/\/[^/\s]+\//.test(slackPrefix)) {
    log.error(
      "CONTREE_SLACK_RESPONSE_URL_PREFIX must be an http(s) URL ending its host with '/', e.g. https://hooks.slack.com/",
    );
    return 1;
  }
  const rate = envNumber(io.env, "CONTREE_WEBHOOK_RATE", {
    fallback: DEFAULT_RATE_PER_SECOND,
    min: 0,
  });
  const upstreamLimit = envNumber(io.env, "CONTREE_WEBHOOK_UPSTREAM", {
    fallback: DEFAULT_UPSTREAM_LIMIT,
    min: 1,
  });
  const grace = envNumber(io.env, "CONTREE_WEBHOOK_GRACE", {
    fallback: DEFAULT_GRACE_SECONDS,
    min: 0,
    seconds: true,
  });
  const graceMs = grace * 1000;
  const retryFor = envNumber(io.env, "CONTREE_WEBHOOK_RETRY_FOR", {
    fallback: DEFAULT_RETRY_FOR_MS / 1000,
    min: 0,
    seconds: true,
  });
  const maxBytes = envNumber(io.env, "CONTREE_WEBHOOK_STORE_BYTES", {
    fallback: DEFAULT_MAX_BYTES,
    min: 1024,
    integer: true,
  });
  const concurrency = concurrencyFromEnv(io.env);
  const limits = limitsFromEnv(io.env, args.deadline);
  const statePath = args.state;
  let store: DeliveryStore;
  if (statePath) {
    const profile = ctx.profile?.name ?? "default";
    const opened = openStateFile(
      statePath,
      sessionDbPath(contreeHome(io.env), profile, io.env),
      { maxBytes },
    );
    if (typeof opened === "string") {
      log.error(opened);
      return 1;
    }
    store = opened;
  } else {
    store = memoryStore({ maxBytes });
  }
  // The access log: JSON lines written directly in batches (flushed at the latest at exit).
  const access = accessLogWriter({
    write: (text) => io.stderr.write(text),
    enabled: log.isEnabledFor("info"),
    mask: maskSecrets,
  });
  try {
    const webhook = await createWebhookApp({
      client: ctx.client,
      secrets,
      store,
      deadlineMs: args.deadline * 1000,
      readToken: senders.readToken,
      slackKeys: senders.slack,
      slackResponsePrefix: slackPrefix,
      bearer: senders.bearer,
      grafanaKeys: senders.grafana,
      trustProxy,
      auditLog: access.log,
      retryForMs: retryFor * 1000,
      ratePerSecond: rate,
      concurrency,
      upstreamLimit,
      accessLog: access.log,
    });
    const stop = stopSignal(ctx.interrupt);
    let server: GuardedServer;
    // From here on every stderr line is JSON, like the access log.
    logJsonLines();
    try {
      server = listen({
        hostname: args.hostname,
        port: args.port,
        ...limits,
        onListen({ hostname, port }) {
          const host = hostname.includes(":") ? `[${hostname}]` : hostname;
          log.info(`Listening on http://${host}:${port}`);
        },
        onWarning: (message) => log.warning(message),
        onError(e) {
          log.error(`Unexpected error: ${e instanceof Error ? e.message : e}`);
          return new Response('{"error":"internal_error","message":"internal error"}', {
            status: 500,
            headers: { "content-type": "application/json" },
          });
        },
      }, (req, info) => webhook.app.fetch(req, { remoteAddr: info.remoteAddr }));
    } catch (e) {
      stop.dispose();
      log.error(
        `Cannot listen on ${args.hostname}:${args.port}: ${e instanceof Error ? e.message : e}`,
      );
      return 1;
    }
    log.info(
      `Webhook server ready: ${secrets.standard.length} Standard Webhooks, ${secrets.github.length} GitHub, ${senders.slack.length} Slack and ${senders.grafana.length} Grafana secret(s), ${
        senders.bearer ? "a" : "no"
      } bearer token${statePath ? `, state in ${statePath}` : ""}${
        trustProxy ? `, trusting X-Forwarded-For from ${trustProxy.cidrs.join(",")}` : ""
      }`,
    );
    webhook.resume();
    const signal = await stop.promise;
    stop.dispose();
    const busy = webhook.running();
    access.flush();
    log.info(
      `${signal}: shutting down${
        busy ? `, finishing ${busy} delivery(ies) in flight (grace ${graceMs / 1000}s)` : ""
      }`,
    );
    const [, inTime] = await Promise.all([server.shutdown(), webhook.drain(graceMs)]);
    if (!inTime) {
      log.warning(
        statePath
          ? "Grace period over: unfinished deliveries are kept in the --state file and resumed at the next start"
          : "Grace period over: unfinished deliveries were not completed (without --state they are not kept)",
      );
    }
    access.flush();
    log.info("Stopped");
    return 0;
  } finally {
    access.close();
    store.close();
  }
}
