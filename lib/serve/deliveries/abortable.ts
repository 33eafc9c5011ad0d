// A promise that gives up when a signal aborts, for work that does not listen to the signal.

/**
 * Rejects with `signal.reason` as soon as `signal` aborts, whether or not `promise` listens to it;
 * otherwise settles as `promise` does.
 *
 * @example
 * ```ts
 * import { abortable } from "./abortable.ts";
 * const stop = new AbortController();
 * const never = new Promise<number>(() => {});
 * const p = abortable(never, stop.signal);
 * stop.abort(new Error("stopped"));
 * await p.catch((e) => e.message); // "stopped"
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
