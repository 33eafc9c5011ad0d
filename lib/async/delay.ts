// The one sleep: abortable, and clamped so an oversized delay never overflows the platform timer.

/** Longest delay a timer can hold (2^31 − 1 ms); longer ones are clamped to it. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * `ms` as a timer can hold it: within 0 and {@link MAX_DELAY_MS} (not a number: the longest).
 *
 * @example
 * ```ts
 * clampDelay(-5); // 0
 * clampDelay(Infinity); // 2147483647
 * ```
 */
export function clampDelay(ms: number): number {
  return Math.min(Math.max(Number.isFinite(ms) ? ms : MAX_DELAY_MS, 0), MAX_DELAY_MS);
}

/**
 * Resolves after `ms` milliseconds (clamped to {@link MAX_DELAY_MS}, negative taken as 0), or
 * rejects with the signal's reason as soon as `signal` aborts. The timer is cleared either way,
 * so an aborted sleep keeps nothing alive.
 *
 * @example
 * ```ts
 * await delay(5);
 * const controller = new AbortController();
 * const pending = delay(60_000, controller.signal);
 * controller.abort();
 * await pending.catch((e) => e.name); // "AbortError"
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const wait = clampDelay(ms);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, wait);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
