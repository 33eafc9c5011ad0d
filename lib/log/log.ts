import { configureSync, getLogger, type LogRecord, resetSync } from "../deps/logtape.ts";
import type { Env, Writer } from "../cli/io.ts";
import { escapeControl } from "../output/escape.ts";

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

/**
 * Formats one record in the original's `[LEVEL] message` layout (coloured on a terminal). Control
 * characters in the message are escaped (`\x1b`, `\n`), so an API error text or an argument
 * cannot inject terminal sequences or start a forged line.
 */
export function formatLine(record: LogRecord, colour: boolean): string {
  return formatText(record.level, renderMessage(record.message), colour);
}

function formatText(level: string, message: string, colour: boolean): string {
  const tag = TAGS[level] ?? level.toUpperCase();
  const text = escapeControl(message);
  if (!colour) return `[${tag}] ${text}\n`;
  const msgColour = tag === "DEBUG" ? "\x1b[90m" : tag === "CRITICAL" ? "\x1b[31m" : RESET;
  return `${TAG_COLOURS[tag]}[${tag}]${RESET} ${msgColour}${text}${RESET}\n`;
}

/** Secrets shorter than this are not masked (they would mask ordinary words). */
const MIN_SECRET = 4;

const hexDigits = (n: number, width: number) =>
  n.toString(16).padStart(width, "0").replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`);
const regexChar = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/**
 * A regex matching `secret` in every spelling a server may echo it in: raw, JSON-escaped
 * (`\uXXXX` in either case, `\/`, `\"`, `\\`) and percent-encoded (either case, `+` for a space),
 * mixed freely character by character.
 */
function secretPattern(secret: string): RegExp {
  let source = "";
  for (const ch of secret) {
    const alts = [regexChar(ch)];
    let json = "";
    for (let i = 0; i < ch.length; i++) json += `\\\\u${hexDigits(ch.charCodeAt(i), 4)}`;
    alts.push(json);
    if (ch === "/" || ch === '"' || ch === "\\") alts.push(`\\\\${regexChar(ch)}`);
    alts.push([...new TextEncoder().encode(ch)].map((b) => `%${hexDigits(b, 2)}`).join(""));
    if (ch === " ") alts.push("\\+");
    source += `(?:${alts.join("|")})`;
  }
  return new RegExp(source, "g");
}

const patterns = new Map<string, RegExp>();

/**
 * Replaces every occurrence of each secret with `***`, so no log line can carry one: raw,
 * JSON-escaped or URL-encoded (a server may echo the token in any of these).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(redactSecrets('a s3cr/t "s3cr\\/t" s3cr%2Ft', ["s3cr/t"]), 'a *** "***" ***');
 * ```
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  for (const s of secrets) {
    if (s.length < MIN_SECRET) continue;
    let re = patterns.get(s);
    if (!re) patterns.set(s, re = secretPattern(s));
    text = text.replace(re, "***");
  }
  return text;
}

/** The secrets of this process (the token), registered through {@link setupLogging}'s `mask`. */
const processSecrets: string[] = [];

/**
 * Masks the registered secrets in `text` (see {@link redactSecrets}). For text that is about to
 * be cut (a logged body): mask first, so the cut cannot leave a piece of a secret unmasked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(maskSecrets("nothing registered"), "nothing registered");
 * ```
 */
export function maskSecrets(text: string): string {
  return processSecrets.length ? redactSecrets(text, processSecrets) : text;
}

/**
 * Masks a piece of a registered secret at the end of `text` (at least 4 characters, the start
 * of a secret): for text that has just been cut, in case what was cut was a partial echo.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(maskSecretTail("body ends with"), "body ends with");
 * ```
 */
export function maskSecretTail(text: string): string {
  for (const s of processSecrets) {
    for (let n = Math.min(s.length - 1, text.length); n >= MIN_SECRET; n--) {
      if (text.endsWith(s.slice(0, n))) return `${text.slice(0, -n)}***`;
    }
  }
  return text;
}

/**
 * Configures LogTape once for the process: every line to `stderr` (stdout is for data), the
 * original's line format, filtered at `level`. `secrets` (the token) are masked in every line,
 * a safety net on top of header redaction in case a server echoes one back; control characters
 * are escaped after masking.
 */
export function setupLogging(
  opts: { stderr: Writer; env: Env; level: CliLogLevel },
): { mask(secret: string | undefined): void } {
  const colour = useColour(opts.stderr, opts.env);
  processSecrets.length = 0;
  resetSync();
  configureSync({
    reset: true,
    sinks: {
      stderr: (record: LogRecord) => {
        const text = maskSecrets(renderMessage(record.message));
        opts.stderr.write(
          record.category[1] === "access"
            // A JSON line: JSON.stringify escaped C0 already; \uXXXX keeps it valid JSON.
            ? `${escapeControl(text, { unicode: true })}\n`
            : formatText(record.level, text, colour),
        );
      },
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
  return { mask: (secret) => void (secret && processSecrets.push(secret)) };
}
