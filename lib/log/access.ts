// The `--serve` access log: one JSON line per request, written straight to stderr in batches
// (not through the general logger line by line), so a busy server makes one write per tick.

import { escapeControl } from "../output/escape.ts";

/** Milliseconds a line may wait in the buffer before it is written. */
export const ACCESS_FLUSH_MS = 50;
/** Buffered characters that trigger a write at once. */
export const ACCESS_MAX_BUFFERED = 64 * 1024;

/** Options of {@link accessLogWriter}. */
export interface AccessLogOptions {
  /** Writes text completely before returning (stderr). */
  write(text: string): void;
  /** Whether lines are written at all (the access log is INFO: `-L warning` turns it off). */
  enabled?: boolean;
  /** Masks secrets in a line before it is escaped (the token, as every log line). */
  mask?: (text: string) => string;
  /** Longest wait of a line in the buffer (default {@link ACCESS_FLUSH_MS}). */
  flushMs?: number;
  /** Buffer size that triggers an immediate write (default {@link ACCESS_MAX_BUFFERED}). */
  maxBuffered?: number;
}

/** A batched JSON-lines writer; see {@link accessLogWriter}. */
export interface AccessLogWriter {
  /** Adds one record (written as one JSON line within `flushMs`). Callers put no secrets in it. */
  log(fields: Record<string, unknown>): void;
  /** Writes everything buffered now. */
  flush(): void;
  /** Flushes and stops the timer; later records are written at once. Idempotent. */
  close(): void;
}

/**
 * A batched access-log writer: each record becomes one JSON line (secrets masked, control
 * characters as `\uXXXX`, so it stays valid JSON), buffered and written in one call when
 * `flushMs` has passed since the first buffered line, when the buffer is large, at `flush()`,
 * at `close()` and when the process exits (`unload`), so no line is lost on a normal exit.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const access = accessLogWriter({ write: (t) => out.push(t) });
 * access.log({ method: "POST", status: 200 });
 * access.log({ method: "GET", status: 404 });
 * access.close(); // out: ['{"method":"POST","status":200}\n{"method":"GET","status":404}\n']
 * ```
 */
export function accessLogWriter(opts: AccessLogOptions): AccessLogWriter {
  const enabled = opts.enabled ?? true;
  const mask = opts.mask ?? ((t: string) => t);
  const flushMs = opts.flushMs ?? ACCESS_FLUSH_MS;
  const maxBuffered = opts.maxBuffered ?? ACCESS_MAX_BUFFERED;
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  function flush(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (!buffer) return;
    const text = buffer;
    buffer = "";
    opts.write(text);
  }
  const onUnload = () => flush();
  if (enabled) globalThis.addEventListener("unload", onUnload);

  return {
    log(fields) {
      if (!enabled) return;
      buffer += `${escapeControl(mask(JSON.stringify(fields)), { unicode: true })}\n`;
      if (closed || buffer.length >= maxBuffered) return flush();
      if (timer === undefined) {
        timer = setTimeout(flush, flushMs);
        // A pending write never keeps the process alive: close() and unload flush it.
        Deno.unrefTimer(timer);
      }
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      flush();
      globalThis.removeEventListener("unload", onUnload);
    },
  };
}
