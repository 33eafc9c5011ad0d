// Runs one parsed command: logging, config, profile, references, the handler, and the mapping of
// every failure to one log line and an exit status. Loaded by run.ts only when a command runs, so
// help, version and usage errors never load it.
import {
  type Client,
  createClient,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  RETRY_DELAYS,
} from "../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../api/errors.ts";
import { Interrupted } from "../async/abort.ts";
import {
  cliDefaults,
  ConfigError,
  contreeHome,
  loadCliIni,
  type Profile,
  resolveProfile,
} from "../config/config.ts";
import { envDelays, envNumber } from "../config/env.ts";
import { type Ini, IniError } from "../config/ini.ts";
import { type CliLogLevel, LOG_LEVELS } from "../log/levels.ts";
import { log, setupLogging } from "../log/log.ts";
import { FORMAT_NAMES, type FormatName } from "../output/names.ts";
import { EXIT_INTERRUPTED, type Io, type RunOptions } from "./io.ts";
import { expandStdin } from "./stdin.ts";
import type { CommandSpec, Globals, Handler } from "./spec.ts";

/**
 * Builds the API client for a profile, with the timeout, retry and body-size settings of the
 * environment; `signal` (the run's Ctrl-C) aborts every request.
 */
function clientFor(profile: Profile, io: Io, signal?: AbortSignal): Client {
  const timeout = envNumber(io.env, "CONTREE_TIMEOUT", {
    fallback: DEFAULT_TIMEOUT_MS / 1000,
    min: 0,
    exclusive: true,
    seconds: true,
  });
  // CONTREE_RETRY_DELAYS (comma-separated seconds) exists so tests and impatient scripts can
  // shorten the original's 1,2,4,5,10,10,10 schedule; an empty value disables retries.
  const retryDelays = envDelays(io.env, "CONTREE_RETRY_DELAYS", RETRY_DELAYS, []);
  const maxResponseBytes = envNumber(io.env, "CONTREE_MAX_RESPONSE_BYTES", {
    fallback: DEFAULT_MAX_RESPONSE_BYTES,
    min: 1,
    integer: true,
  });
  try {
    return createClient({
      url: profile.url,
      auth: profile.type,
      token: profile.token,
      project: profile.project,
      fetch: io.fetch,
      timeoutMs: timeout * 1000,
      retryDelays,
      maxResponseBytes,
      signal,
    });
  } catch (e) {
    throw new ConfigError(`Invalid API URL '${profile.url}': ${(e as Error).message}`);
  }
}

/** A client for local commands: any request is a programming error. */
const NO_CLIENT: Client = {
  request: () => Promise.reject(new Error("this command does not use the API")),
  getJson: () => Promise.reject(new Error("this command does not use the API")),
};

/** Maps an error that escaped a handler to its log line and exit status. */
function reportFailure(e: unknown): number {
  if (e instanceof Interrupted) {
    log.error("User interrupted");
    return EXIT_INTERRUPTED;
  }
  if (e instanceof NetworkError) {
    log.error(`Network error: ${e.message}`);
  } else if (
    e instanceof ApiError || e instanceof ConfigError || e instanceof IniError ||
    e instanceof ResponseError || e instanceof RangeError
  ) {
    log.error((e as Error).message);
  } else {
    // Never a stack trace on stderr: one line, details at debug level.
    log.error(`Unexpected error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (e instanceof Error && e.stack) log.debug(e.stack);
  }
  return 1;
}

/** The global flags with cli.ini defaults under them; unset flags do not hide a default. */
function globalsOf(cliIni: Ini, values: Record<string, unknown>): Record<string, unknown> {
  const given = Object.entries(values).filter(([, v]) => v !== undefined && v !== false);
  return { ...cliDefaults(cliIni), ...Object.fromEntries(given) };
}

/**
 * Runs the command at the end of `path` (a parse result: the root, any dispatchers, the
 * command) with its parsed `values`, and returns the exit status. All output goes through `io`.
 */
export async function execute(
  path: readonly CommandSpec[],
  values: readonly Record<string, unknown>[],
  io: Io,
  opts: RunOptions = {},
): Promise<number> {
  const home = contreeHome(io.env);
  // cli.ini supplies defaults of the global flags; a broken one is reported once logging is up.
  let cliIni: Ini = new Map();
  let cliIniError: unknown;
  try {
    cliIni = loadCliIni(home);
  } catch (e) {
    cliIniError = e;
  }
  const raw = globalsOf(cliIni, values[0]);
  const level = String(raw.log_level ?? "info") as CliLogLevel;
  const validLevel = LOG_LEVELS.includes(level);
  // Logging is configured exactly once per run, here.
  const logging = setupLogging({
    stderr: io.stderr,
    env: io.env,
    level: validLevel ? level : "info",
  });
  if (cliIniError) return reportFailure(cliIniError);
  if (!validLevel) {
    return reportFailure(new ConfigError(`Invalid log_level '${level}' in ${home}/cli.ini`));
  }
  const format = raw.output_format ?? "default";
  if (!FORMAT_NAMES.includes(format as FormatName)) {
    return reportFailure(new ConfigError(`Invalid output_format '${format}' in ${home}/cli.ini`));
  }
  const text = (key: string) => raw[key] === undefined ? undefined : String(raw[key]);
  const globals: Globals = {
    output_format: format as FormatName,
    format_given: values[0].output_format !== undefined,
    log_level: level,
    profile: text("profile"),
    token: text("token"),
    url: text("url"),
    project: text("project"),
    config_path: text("config_path"),
    session_key: text("session_key"),
  };

  const command = path[path.length - 1];
  const args = { ...values[values.length - 1] };
  const ownsSignals = Boolean(command.ownsSignals);
  const controller = new AbortController();
  const forcedExitReports = new Set<() => void>();
  let interrupts = 0;
  const onStop = () => {
    // First Ctrl-C: abort every request and sleep. Second: say what is known, and leave now.
    if (++interrupts > 1) {
      for (const report of forcedExitReports) report();
      log.error("User interrupted");
      opts.exit?.(EXIT_INTERRUPTED);
    }
    controller.abort();
  };
  const unsubscribe = opts.onInterrupt?.(onStop);
  const unsubscribeTerm = ownsSignals ? undefined : opts.onTerminate?.(onStop);
  try {
    let client = NO_CLIENT;
    let profile: Profile | undefined;
    if (!command.local) {
      profile = resolveProfile(home, io.env, {
        profile: globals.profile,
        token: globals.token,
        url: globals.url,
        project: globals.project,
        configPath: globals.config_path,
      }, cliIni);
      logging.mask(profile.token);
      // A command that owns its signals (the webhook server drains its in-flight cancels on a
      // stop) gets no abort signal on its client.
      client = clientFor(profile, io, ownsSignals ? undefined : controller.signal);
      const refs = command.positionals.filter((p) => p.references);
      if (refs.length) {
        const name = profile.name;
        // The session database (node:sqlite) and the reference resolver are loaded only by
        // commands that take references; a reference that does not resolve is reported here.
        const [{ openHistoryStore, sessionKey }, { ReferenceError, resolveTokens }] = await Promise
          .all([import("../session/session.ts"), import("../session/refs.ts")]);
        try {
          const key = await sessionKey(globals.session_key, name, io);
          log.debug(`Running in session: ${key}`);
          for (const p of refs) {
            args[p.dest] = resolveTokens(
              // `-` stands for the operations named on standard input (`ps -q | contree kill -`).
              await expandStdin(args[p.dest] as string[], io.stdin),
              () => openHistoryStore(home, name, io.env),
              key,
            );
          }
        } catch (e) {
          if (!(e instanceof ReferenceError)) throw e;
          log.error(e.message);
          return 1;
        }
      }
    }
    // The table typed each handler against its own specs; here the values are those specs' output.
    const handler = await command.handler!() as Handler;
    const code = await handler({
      args,
      globals,
      io,
      client,
      profile,
      table: path[0],
      interrupt: controller.signal,
      onForcedExit: (report) => {
        forcedExitReports.add(report);
        return () => forcedExitReports.delete(report);
      },
    });
    // A command that owns its signals treats Ctrl-C as a graceful stop: its status stands.
    if (controller.signal.aborted && !ownsSignals) throw new Interrupted();
    return code;
  } catch (e) {
    const code = reportFailure(e);
    // A config error may come with an example of what to write where (after its one line).
    if (e instanceof ConfigError && e.hint) io.stderr.write(e.hint);
    return code;
  } finally {
    unsubscribe?.();
    unsubscribeTerm?.();
  }
}
