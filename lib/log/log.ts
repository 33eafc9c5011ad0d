import { configureSync, getLogger, type LogRecord, resetSync } from "../deps/logtape.ts";
import type { Env, Writer } from "../cli/io.ts";

/** `-L/--log-level` choices, in order of severity. */
export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export type CliLogLevel = typeof LOG_LEVELS[number];

const logger = getLogger(["contree"]);

/**
 * The one logger every module uses; configured once by {@link setupLogging}. Messages are plain
 * text: they go to LogTape as a template value, so braces in server bodies or header maps are
 * never taken for LogTape placeholders.
 */
export const log = {
  debug: (text: string) => logger.debug`${text}`,
  info: (text: string) => logger.info`${text}`,
  warning: (text: string) => logger.warn`${text}`,
  error: (text: string) => logger.error`${text}`,
  critical: (text: string) => logger.fatal`${text}`,
  isEnabledFor: (level: "debug" | "info") => logger.isEnabledFor(level),
};

const accessLogger = getLogger(["contree", "access"]);

/**
 * Logs one access-log record (the `--serve` server, one per request). It goes through the same
 * LogTape set-up and level filter as every other line, but is written as one JSON line instead of
 * `[INFO] text`. Callers put no secrets in `fields`.
 */
export function logAccess(fields: Record<string, unknown>): void {
  accessLogger.info`${JSON.stringify(fields)}`;
}

const TAGS: Record<string, string> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};
const TAG_COLOURS: Record<string, string> = {
  DEBUG: "\x1b[36m",
  INFO: "\x1b[32m",
  WARNING: "\x1b[33m",
  ERROR: "\x1b[31m",
  CRITICAL: "\x1b[1;31m",
};
const RESET = "\x1b[0m";

/** Renders LogTape's interleaved message array: strings as-is, other values as JSON-ish text. */
export function renderMessage(parts: readonly unknown[]): string {
  return parts.map((p, i) => i % 2 === 0 || typeof p === "string" ? String(p) : show(p)).join("");
}

function show(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

/** Whether to colour a stream: a terminal, or FORCE_COLOR set; never with NO_COLOR. */
export function useColour(stream: Writer, env: Env): boolean {
  if (env.NO_COLOR) return false;
  return Boolean(env.FORCE_COLOR) || stream.isTerminal;
}

/** Formats one record in the original's `[LEVEL] message` layout (coloured on a terminal). */
export function formatLine(record: LogRecord, colour: boolean): string {
  const tag = TAGS[record.level] ?? record.level.toUpperCase();
  const text = renderMessage(record.message);
  if (!colour) return `[${tag}] ${text}\n`;
  const msgColour = tag === "DEBUG" ? "\x1b[90m" : tag === "CRITICAL" ? "\x1b[31m" : RESET;
  return `${TAG_COLOURS[tag]}[${tag}]${RESET} ${msgColour}${text}${RESET}\n`;
}

/** Replaces every occurrence of each secret with `***`, so no log line can carry one. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  for (const s of secrets) if (s.length >= 4) text = text.replaceAll(s, "***");
  return text;
}

/**
 * Configures LogTape once for the process: every line to `stderr` (stdout is for data), the
 * original's line format, filtered at `level`. `secrets` (the token) are masked in every line,
 * a safety net on top of header redaction in case a server echoes one back.
 */
export function setupLogging(
  opts: { stderr: Writer; env: Env; level: CliLogLevel },
): { mask(secret: string | undefined): void } {
  const colour = useColour(opts.stderr, opts.env);
  const secrets: string[] = [];
  resetSync();
  configureSync({
    reset: true,
    sinks: {
      stderr: (record: LogRecord) =>
        opts.stderr.write(redactSecrets(
          record.category[1] === "access"
            ? `${renderMessage(record.message)}\n`
            : formatLine(record, colour),
          secrets,
        )),
    },
    loggers: [
      {
        category: ["contree"],
        sinks: ["stderr"],
        lowestLevel: opts.level === "critical" ? "fatal" : opts.level,
      },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
    ],
  });
  // The token is known only once config is loaded, after logging is up.
  return { mask: (secret) => void (secret && secrets.push(secret)) };
}
