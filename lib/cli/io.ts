import type { Reader } from "./stdin.ts";

/** A text sink: stdout, stderr, or a buffer in tests. Writes are synchronous so nothing is lost on exit. */
export interface Writer {
  /** Writes `text` completely before returning. */
  write(text: string): void;
  /** Whether this stream is a terminal (decides colours and ellipsis style). */
  readonly isTerminal: boolean;
}

const encoder = new TextEncoder();

/** Wraps a Deno stream (`Deno.stdout`/`Deno.stderr`) as a synchronous {@link Writer}. */
export function streamWriter(
  stream: { writeSync(p: Uint8Array): number; isTerminal(): boolean },
): Writer {
  return {
    isTerminal: stream.isTerminal(),
    write(text: string) {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) {
        try {
          bytes = bytes.subarray(stream.writeSync(bytes));
        } catch (e) {
          // A closed pipe (`contree ps | head`) is not an error worth a stack trace.
          if (e instanceof Deno.errors.BrokenPipe) return;
          throw e;
        }
      }
    },
  };
}

/** A {@link Writer} that collects text in memory (tests, library callers). */
export function bufferWriter(isTerminal = false): Writer & { text(): string } {
  const parts: string[] = [];
  return { isTerminal, write: (t) => void parts.push(t), text: () => parts.join("") };
}

/** The environment as a plain lookup, so commands never read `Deno.env` directly. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Everything a command needs from the outside world, passed in rather than reached for. */
export interface Io {
  /** Where data goes (tables, JSON, help). */
  stdout: Writer;
  /** Where log lines go. */
  stderr: Writer;
  /** The environment (`CONTREE_*`, `HOME`, `NO_COLOR`, …). */
  env: Env;
  /** The `fetch` API requests go through. */
  fetch: typeof fetch;
  /** The working directory (it names the derived session key). */
  cwd: string;
  /** Standard input (`kill -`, the `kill --all` prompt); absent means empty, not a terminal. */
  stdin?: Reader;
  /**
   * Terminal width for help and the table: `$COLUMNS`, else the console's when stdout is a
   * terminal; read once by the entry point (undefined: unknown, 80 for help).
   */
  columns?: number;
}

/** Exit status after Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** Outside-world hooks that only the real entry point provides. */
export interface RunOptions {
  /** Terminal width for help wrapping (default: `io.columns`). */
  columns?: number;
  /** Subscribes to Ctrl-C; returns an unsubscribe function. */
  onInterrupt?: (listener: () => void) => () => void;
  /**
   * Subscribes to SIGTERM, which plain commands treat exactly like Ctrl-C (a command that owns
   * its signals, such as `kill --serve`, is not subscribed); returns an unsubscribe function.
   */
  onTerminate?: (listener: () => void) => () => void;
  /** Ends the process at once (a second Ctrl-C). */
  exit?: (code: number) => never;
}
