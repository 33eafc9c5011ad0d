// The one logger: `[LEVEL] message` lines on stderr (stdout is data), filtered by -L, secrets
// masked and control characters escaped in every line. A few lines of our own rather than a
// logging library: the CLI writes one kind of line to one stream, and a library cost every
// command ~12 ms of start-up (LogTape pulls node:util).
import type { Env, Writer } from "../cli/io.ts";
import { escapeControl } from "../output/escape.ts";
import type { CliLogLevel } from "./levels.ts";

export { type CliLogLevel, LOG_LEVELS } from "./levels.ts";

const SEVERITY: Record<CliLogLevel, number> = {
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
  critical: 4,
};

/** Where lines go once {@link setupLogging} ran; before that nothing is written. */
let sink: ((level: CliLogLevel, text: string, access: boolean) => void) | undefined;
let threshold = SEVERITY.info;

function emit(level: CliLogLevel, text: string, access = false): void {
  if (sink && SEVERITY[level] >= threshold) sink(level, text, access);
}

/**
 * The one logger every module uses; configured once by {@link setupLogging}. Messages are plain
 * text, written as given (after masking and escaping).
 */
export const log = {
  /** Logs at DEBUG. */
  debug: (text: string): void => emit("debug", text),
  /** Logs at INFO. */
  info: (text: string): void => emit("info", text),
  /** Logs at WARNING. */
  warning: (text: string): void => emit("warning", text),
  /** Logs at ERROR. */
  error: (text: string): void => emit("error", text),
  /** Logs at CRITICAL. */
  critical: (text: string): void => emit("critical", text),
  /** Whether a line at `level` would be written (skip building costly debug text). */
  isEnabledFor: (level: "debug" | "info"): boolean =>
    sink !== undefined && SEVERITY[level] >= threshold,
};

/**
 * Logs one access-log record (the `--serve` server, one per request). It goes through the same
 * set-up and level filter as every other line (INFO), but is written as one JSON line instead of
 * `[INFO] text`. Callers put no secrets in `fields`.
 */
export function logAccess(fields: Record<string, unknown>): void {
  if (sink && SEVERITY.info >= threshold) emit("info", JSON.stringify(fields), true);
}

const TAGS: Record<CliLogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  critical: "CRITICAL",
};
const TAG_COLOURS: Record<string, string> = {
  DEBUG: "\x1b[36m",
  INFO: "\x1b[32m",
  WARNING: "\x1b[33m",
  ERROR: "\x1b[31m",
  CRITICAL: "\x1b[1;31m",
};
const RESET = "\x1b[0m";

/** Whether to colour a stream: a terminal, or FORCE_COLOR set; never with NO_COLOR. */
export function useColour(stream: Writer, env: Env): boolean {
  if (env.NO_COLOR) return false;
  return Boolean(env.FORCE_COLOR) || stream.isTerminal;
}

/**
 * Formats one line in the original's `[LEVEL] message` layout (coloured on a terminal). Control
 * characters in the message are escaped (`\x1b`, `\n`), so an API error text or an argument
 * cannot inject terminal sequences or start a forged line.
 */
function formatText(level: CliLogLevel, message: string, colour: boolean): string {
  const tag = TAGS[level];
  const text = escapeControl(message);
  if (!colour) return `[${tag}] ${text}\n`;
  const msgColour = tag === "DEBUG" ? "\x1b[90m" : tag === "CRITICAL" ? "\x1b[31m" : RESET;
  return `${TAG_COLOURS[tag]}[${tag}]${RESET} ${msgColour}${text}${RESET}\n`;
}

/** Set by {@link logJsonLines}: every line is a JSON object (the `--serve` server). */
let jsonLines = false;

/**
 * Makes every following log line one JSON object, `{"time", "level", "message"}`, like the
 * access log: what `--serve` switches to once it is serving, so its stderr is JSON only.
 *
 * @example
 * ```ts
 * logJsonLines(false); // back to `[LEVEL] message` lines
 * ```
 */
export function logJsonLines(on = true): void {
  jsonLines = on;
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
 * Configures logging once for the process: every line to `stderr` (stdout is for data), the
 * original's line format, filtered at `level`. `secrets` (the token) are masked in every line,
 * a safety net on top of header redaction in case a server echoes one back; control characters
 * are escaped after masking.
 */
export function setupLogging(
  opts: { stderr: Writer; env: Env; level: CliLogLevel },
): { mask(secret: string | undefined): void } {
  const colour = useColour(opts.stderr, opts.env);
  processSecrets.length = 0;
  jsonLines = false;
  threshold = SEVERITY[opts.level];
  sink = (level, message, access) => {
    const text = maskSecrets(message);
    const line = access ? text : jsonLines
      ? JSON.stringify({
        time: new Date().toISOString(),
        level: TAGS[level].toLowerCase(),
        message: text,
      })
      : undefined;
    opts.stderr.write(
      line !== undefined
        // A JSON line: JSON.stringify escaped C0 already; \uXXXX keeps it valid JSON.
        ? `${escapeControl(line, { unicode: true })}\n`
        : formatText(level, text, colour),
    );
  };
  // The token is known only once config is loaded, after logging is up.
  return { mask: (secret) => void (secret && processSecrets.push(secret)) };
}
