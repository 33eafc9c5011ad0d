// The `kill --all` prompt: asked only when a person is there to answer (stdin and stderr both
// terminals), never in scripts.
import type { Io } from "./io.ts";
import { readLine } from "./stdin.ts";

/**
 * Whether to ask: stdin and stderr are both terminals.
 *
 * @example
 * ```ts
 * import { bufferWriter } from "./io.ts";
 * const io = { stdout: bufferWriter(), stderr: bufferWriter(), env: {}, fetch, cwd: "." };
 * canPrompt(io); // false: no terminal
 * ```
 */
export function canPrompt(io: Io): boolean {
  return Boolean(io.stdin?.isTerminal && io.stderr.isTerminal);
}

/**
 * Writes `question` to stderr and reads one line from stdin: true only for `y` or `yes` (any
 * case, surrounding blanks ignored). End of input, Ctrl-C (`signal`) or any other answer is
 * false.
 *
 * @example
 * ```ts
 * import { bufferWriter } from "./io.ts";
 * import { textReader } from "./stdin.ts";
 * const io = {
 *   stdout: bufferWriter(),
 *   stderr: bufferWriter(true),
 *   env: {},
 *   fetch,
 *   cwd: ".",
 *   stdin: textReader("y\n", true),
 * };
 * await confirm(io, "Cancel 3 active operations? [y/N] "); // true
 * ```
 */
export async function confirm(io: Io, question: string, signal?: AbortSignal): Promise<boolean> {
  if (!io.stdin) return false;
  io.stderr.write(question);
  const answer = await readLine(io.stdin, signal);
  if (answer === null) io.stderr.write("\n");
  return answer !== null && /^\s*(y|yes)\s*$/i.test(answer);
}
