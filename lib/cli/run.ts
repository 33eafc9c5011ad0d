// The program: parse argv, set up logging and config, resolve references, run one handler, and
// map every failure to one log line and an exit status. main.ts only wires real I/O into it.
import {
  type Client,
  createClient,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  RETRY_DELAYS,
} from "../api/client.ts";
import { ApiError, NetworkError, ResponseError } from "../api/errors.ts";
import { Interrupted } from "../ops/interrupted.ts";
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
import type { Io } from "./io.ts";
import { type CliLogLevel, log, LOG_LEVELS, setupLogging } from "../log/log.ts";
import { ReferenceError, resolveTokens } from "../session/refs.ts";
import { openHistoryStore, sessionKey } from "../session/session.ts";
import { userAgent } from "../version.ts";
import { FORMAT_NAMES } from "../output/names.ts";
import { NOT_IMPLEMENTED, ROOT } from "./commands.ts";
import { formatHelp, formatUsageError } from "./help.ts";
import { parseArgv } from "./parse.ts";
import type { CommandSpec } from "./spec.ts";

/** Exit status after Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** Outside-world hooks that only the real entry point provides. */
export interface RunOptions {
  /** Terminal width for help wrapping (argparse reads `$COLUMNS`). */
  columns?: number;
  /** Subscribes to Ctrl-C; returns an unsubscribe function. */
  onInterrupt?: (listener: () => void) => () => void;
  /**
   * Subscribes to SIGTERM, which plain commands treat exactly like Ctrl-C (`kill --serve` handles
   * it itself and is not subscribed); returns an unsubscribe function.
   */
  onTerminate?: (listener: () => void) => () => void;
  /** Ends the process at once (a second Ctrl-C). */
  exit?: (code: number) => never;
}

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

/** Maps an error that escaped a handler to its log line and exit status (spec §4.0). */
function reportFailure(e: unknown): number {
  if (e instanceof Interrupted) {
    log.error("User interrupted");
    return EXIT_INTERRUPTED;
  }
  if (e instanceof NetworkError) {
    log.error(`Network error: ${e.message}`);
  } else if (
    e instanceof ApiError || e instanceof ConfigError || e instanceof IniError ||
    e instanceof ReferenceError || e instanceof ResponseError || e instanceof RangeError
  ) {
    log.error(e.message);
  } else {
    // Never a stack trace on stderr: one line, details at debug level.
    log.error(`Unexpected error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (e instanceof Error && e.stack) log.debug(e.stack);
  }
  return 1;
}

/**
 * Runs the program for `argv` and returns its exit status. All output goes through `io`.
 *
 * @example
 * ```ts
 * import { bufferWriter } from "./io.ts";
 * const io = {
 *   stdout: bufferWriter(),
 *   stderr: bufferWriter(),
 *   env: {},
 *   fetch: globalThis.fetch,
 *   cwd: ".",
 * };
 * const code = await runCli(["--version"], io); // 0, and the version on io.stdout
 * ```
 */
export async function runCli(argv: string[], io: Io, opts: RunOptions = {}): Promise<number> {
  const columns = opts.columns;
  if (argv.length === 0) {
    io.stdout.write(formatHelp(ROOT, columns));
    return 0;
  }
  const home = contreeHome(io.env);
  // cli.ini supplies flag defaults, so it is read before parsing; a broken one is reported once
  // logging is set up.
  let cliIni: Ini = new Map();
  let cliIniError: unknown;
  try {
    cliIni = loadCliIni(home);
  } catch (e) {
    cliIniError = e;
  }

  const parsed = parseArgv(ROOT, argv);
  if (parsed.kind === "immediate") {
    if (
      parsed.option.dest === "help" && argv.includes("--serve") &&
      parsed.command.options.some((o) => o.dest === "serve")
    ) {
      io.stdout.write((await import("../serve/help.ts")).serveHelp(parsed.command.usageName));
      return 0;
    }
    io.stdout.write(
      parsed.option.dest === "version" ? `${userAgent()}\n` : formatHelp(parsed.command, columns),
    );
    return 0;
  }
  if (parsed.kind === "error") {
    const word = /^argument command: invalid choice: '([^']*)'/.exec(parsed.message)?.[1];
    if (word !== undefined && NOT_IMPLEMENTED.includes(word)) {
      io.stderr.write(
        `contree: error: '${word}' is a command of the original contree CLI that this program does not implement (available: ps, kill, show, operation, agent)\n`,
      );
    } else {
      io.stderr.write(formatUsageError(parsed.command, parsed.message, columns));
    }
    return 2;
  }

  const globals = { ...cliDefaults(cliIni), ...definedOnly(parsed.values[0]) };
  const level = (globals.log_level ?? "info") as CliLogLevel;
  const validLevel = LOG_LEVELS.includes(level);
  // LogTape is configured exactly once per run, here.
  const logging = setupLogging({
    stderr: io.stderr,
    env: io.env,
    level: validLevel ? level : "info",
  });
  if (cliIniError) return reportFailure(cliIniError);
  if (!validLevel) {
    return reportFailure(new ConfigError(`Invalid log_level '${level}' in ${home}/cli.ini`));
  }
  if (
    globals.output_format !== undefined && !FORMAT_NAMES.includes(globals.output_format as never)
  ) {
    return reportFailure(
      new ConfigError(`Invalid output_format '${globals.output_format}' in ${home}/cli.ini`),
    );
  }
  globals.output_format ??= "default";

  const command: CommandSpec = parsed.path[parsed.path.length - 1];
  const args = parsed.values[parsed.values.length - 1];
  const controller = new AbortController();
  const serve = Boolean(args.serve);
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
  const unsubscribeTerm = serve ? undefined : opts.onTerminate?.(onStop);
  try {
    let client = NO_CLIENT;
    let profile: Profile | undefined;
    if (!command.local) {
      profile = resolveProfile(home, io.env, {
        profile: globals.profile as string | undefined,
        token: globals.token as string | undefined,
        url: globals.url as string | undefined,
        project: globals.project as string | undefined,
        configPath: globals.config_path as string | undefined,
      }, cliIni);
      logging.mask(profile.token);
      // The webhook server drains its in-flight cancels on a stop; it gets no abort signal here.
      client = clientFor(profile, io, serve ? undefined : controller.signal);
      if (command.positionals[0]?.metavar === "UUID_OR_REF") {
        const key = await sessionKey(
          globals.session_key as string | undefined,
          profile.name,
          io,
        );
        log.debug(`Running in session: ${key}`);
        args.uuids = resolveTokens(
          args.uuids as string[],
          () => openHistoryStore(home, profile!.name, io.env),
          key,
        );
      }
    }
    const handler = await command.handler!();
    const code = await handler({
      args,
      globals,
      io,
      client,
      profile,
      interrupt: controller.signal,
      onForcedExit: (report) => {
        forcedExitReports.add(report);
        return () => forcedExitReports.delete(report);
      },
    });
    // The webhook server treats Ctrl-C as a graceful stop and returns its own status.
    if (controller.signal.aborted && !serve) throw new Interrupted();
    return code;
  } catch (e) {
    return reportFailure(e);
  } finally {
    unsubscribe?.();
    unsubscribeTerm?.();
  }
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined && v !== false),
  );
}
