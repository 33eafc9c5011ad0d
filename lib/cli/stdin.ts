// Standard input as commands use it: `kill -` / `show -` / `op wait -` read their operations from
// it, and `kill --all` reads the answer to its prompt. Passed in through `Io.stdin`, so tests
// can hand in text and say whether it is a terminal.
import { readCapped } from "../async/read_capped.ts";

/** A byte source shaped like `Deno.stdin`. */
export interface Reader {
  /** Whether it is a terminal (the prompt is asked only then). */
  readonly isTerminal: boolean;
  /** Reads into `p`; the number of bytes read, or null at end of input. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Most bytes `-` reads from standard input (a UUID per line is 37 bytes: 450,000 of them). */
export const MAX_STDIN_BYTES = 16 * 1024 * 1024;

/**
 * Wraps a Deno stream (`Deno.stdin`) as a {@link Reader}.
 *
 * @example
 * ```ts
 * const stdin = streamReader(Deno.stdin);
 * stdin.isTerminal; // true when typed at a terminal
 * ```
 */
export function streamReader(
  stream: { read(p: Uint8Array): Promise<number | null>; isTerminal(): boolean },
): Reader {
  return { isTerminal: stream.isTerminal(), read: (p) => stream.read(p) };
}

/**
 * A {@link Reader} over fixed text (tests, library callers).
 *
 * @example
 * ```ts
 * const r = textReader("019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f\n");
 * await readAll(r); // the same text
 * ```
 */
export function textReader(text: string, isTerminal = false): Reader {
  let bytes = new TextEncoder().encode(text);
  return {
    isTerminal,
    read(p) {
      if (!bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, bytes.length);
      p.set(bytes.subarray(0, n));
      bytes = bytes.subarray(n);
      return Promise.resolve(n);
    },
  };
}

/**
 * Reads everything up to end of input as UTF-8, at most `max` bytes; more is a `RangeError`
 * (shown as one `[ERROR]` line).
 *
 * @example
 * ```ts
 * await readAll(textReader("a b\n")); // "a b\n"
 * ```
 */
export function readAll(reader: Reader, max = MAX_STDIN_BYTES): Promise<string> {
  return readCapped(
    chunksOf(reader),
    max,
    () => new RangeError(`Standard input is larger than ${max / 1024 / 1024} MiB`),
  );
}

/** The chunks a {@link Reader} gives until end of input. */
async function* chunksOf(reader: Reader): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await reader.read(buf);
    if (n === null) return;
    yield buf.slice(0, n);
  }
}

/**
 * The operations named in a text: whitespace-separated words; `#` starts a comment that runs
 * to the end of its line.
 *
 * @example
 * ```ts
 * stdinTokens("# to cancel\n019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f  HEAD~1 # old\n");
 * // ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f", "HEAD~1"]
 * ```
 */
export function stdinTokens(text: string): string[] {
  return text.split(/\r?\n|\r/).flatMap((line) => {
    const hash = line.indexOf("#");
    return (hash < 0 ? line : line.slice(0, hash)).split(/\s+/).filter((t) => t !== "");
  });
}

/**
 * Replaces each `-` among a command's operation arguments with the operations read from
 * `stdin` (read once, on the first `-`). Without a `-`, `stdin` is never touched.
 *
 * @example
 * ```ts
 * await expandStdin(["U1", "-"], textReader("U2 U3\n")); // ["U1", "U2", "U3"]
 * ```
 */
export async function expandStdin(
  args: readonly string[],
  stdin: Reader | undefined,
): Promise<string[]> {
  if (!args.includes("-")) return [...args];
  const read = stdin ? stdinTokens(await readAll(stdin)) : [];
  let used = false;
  return args.flatMap((a) => {
    if (a !== "-") return [a];
    if (used) return [];
    used = true;
    return read;
  });
}

/**
 * Reads one line (without its end) from a terminal, or null at end of input or when `signal`
 * aborts first (Ctrl-C at the prompt).
 *
 * @example
 * ```ts
 * await readLine(textReader("yes\n")); // "yes"
 * ```
 */
export async function readLine(reader: Reader, signal?: AbortSignal): Promise<string | null> {
  const buf = new Uint8Array(1024);
  let text = "";
  const aborted = new Promise<null>((resolve) => {
    if (signal?.aborted) resolve(null);
    signal?.addEventListener("abort", () => resolve(null), { once: true });
  });
  for (;;) {
    const n = await Promise.race([reader.read(buf), aborted]);
    if (n === null) return text === "" || signal?.aborted ? null : text;
    text += new TextDecoder().decode(buf.subarray(0, n));
    const end = text.search(/\r?\n|\r/);
    if (end >= 0) return text.slice(0, end);
    if (text.length > 4096) return text;
  }
}
