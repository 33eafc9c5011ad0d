// The one stop-by-user error. It lives here, below the client, so every layer (the HTTP client,
// the pagers, the bulk operations, the CLI) throws and recognises the same class.

/**
 * Raised when the user stopped the run (Ctrl-C, SIGTERM) while a request, a retry back-off or a
 * poll sleep was pending; the CLI maps it to `[ERROR] User interrupted` and exit status 130.
 *
 * @example
 * ```ts
 * const e = new Interrupted();
 * e.message; // "User interrupted"
 * ```
 */
export class Interrupted extends Error {
  /** Always `"Interrupted"`. */
  override name = "Interrupted";
  /** The one message the CLI prints for it. */
  constructor() {
    super("User interrupted");
  }
}

/**
 * Throws {@link Interrupted} when `signal` has aborted; does nothing otherwise.
 *
 * @example
 * ```ts
 * throwIfInterrupted(undefined); // no signal: never throws
 * ```
 */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Interrupted();
}

/**
 * Combines two optional signals into one without `AbortSignal.any` (whose dependants a
 * long-lived source keeps track of): the returned `dispose` removes the listener it added.
 *
 * @example
 * ```ts
 * const run = new AbortController();
 * const { signal, dispose } = linkSignals(run.signal, undefined);
 * run.abort();
 * signal?.aborted; // true
 * dispose();
 * ```
 */
export function linkSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!a || !b) return { signal: a ?? b, dispose: () => {} };
  if (a.aborted || b.aborted) return { signal: a.aborted ? a : b, dispose: () => {} };
  const controller = new AbortController();
  const onA = () => controller.abort(a.reason);
  const onB = () => controller.abort(b.reason);
  a.addEventListener("abort", onA, { once: true });
  b.addEventListener("abort", onB, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener("abort", onA);
      b.removeEventListener("abort", onB);
    },
  };
}
