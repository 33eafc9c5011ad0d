// `contree kill --serve`: reads the settings, builds the app, listens, and on SIGINT/SIGTERM
// stops accepting, finishes in-flight cancels within a grace period and returns 0.
import type { CommandContext } from "../cli/spec.ts";
import { concurrencyFromEnv } from "../ops/cancel.ts";
import { dirname, resolve } from "node:path";
import { contreeHome } from "../config/config.ts";
import { envNumber } from "../config/env.ts";
import { log, logAccess } from "../log/log.ts";
import { sessionDbPath } from "../session/schema.ts";
import {
  createWebhookApp,
  DEFAULT_RATE_PER_SECOND,
  DEFAULT_RETRY_FOR_MS,
  DEFAULT_UPSTREAM_LIMIT,
} from "./app.ts";
import {
  DEFAULT_MAX_BYTES,
  type DeliveryStore,
  memoryStore,
  sqliteStore,
  StateFileError,
  type StoreOptions,
} from "./dedupe/index.ts";
import { parseSecrets, SecretError } from "./verify/index.ts";
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

/** The `--serve` handler of `kill` / `op cancel`. */
export async function serve(ctx: CommandContext): Promise<number> {
  const { args, io } = ctx;
  if ((args.uuids as string[]).length || args.all) {
    log.error("--serve takes no UUIDs or --all: each webhook's body says what to cancel");
    return 1;
  }
  let secrets;
  try {
    secrets = await parseSecrets(io.env.CONTREE_WEBHOOK_SECRET);
  } catch (e) {
    if (e instanceof SecretError) {
      log.error(e.message);
      return 1;
    }
    throw e;
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
  const limits = limitsFromEnv(io.env, args.deadline as number);
  const statePath = args.state as string | undefined;
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
  try {
    const webhook = await createWebhookApp({
      client: ctx.client,
      secrets,
      store,
      deadlineMs: (args.deadline as number) * 1000,
      readToken: io.env.CONTREE_WEBHOOK_READ_TOKEN || undefined,
      retryForMs: retryFor * 1000,
      ratePerSecond: rate,
      concurrency,
      upstreamLimit,
      accessLog: logAccess,
    });
    const stop = stopSignal(ctx.interrupt);
    let server: GuardedServer;
    try {
      server = listen({
        hostname: args.hostname as string,
        port: args.port as number,
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
      `Webhook server ready: ${secrets.standard.length} Standard Webhooks and ${secrets.github.length} GitHub-style secret(s)${
        statePath ? `, state in ${statePath}` : ""
      }`,
    );
    webhook.resume();
    const signal = await stop.promise;
    stop.dispose();
    const busy = webhook.running();
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
    log.info("Stopped");
    return 0;
  } finally {
    store.close();
  }
}
