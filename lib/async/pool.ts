/**
 * Runs `task` over `items` with at most `limit` in flight, and hands each result to `onResult`
 * in input order (so log lines stay deterministic while requests overlap). When `shouldStop()`
 * turns true no new task starts; tasks in flight still finish and are reported.
 * A task that throws also stops new starts; the results of the others are still reported, and
 * the first error is rethrown once everything in flight has settled.
 * Returns how many items were started.
 *
 * @example
 * ```ts
 * const out: number[] = [];
 * await orderedPool([1, 2, 3], 2, (n) => Promise.resolve(n * 2), (_, r) => out.push(r));
 * // out is [2, 4, 6]
 * ```
 */
export async function orderedPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  onResult: (item: T, result: R, index: number) => void,
  shouldStop: () => boolean = () => false,
): Promise<number> {
  const done = new Map<number, { value: R } | undefined>(); // undefined marks a thrown task
  let next = 0;
  let reported = 0;
  let failure: { error: unknown } | undefined;

  function drain() {
    while (done.has(reported)) {
      const r = done.get(reported);
      done.delete(reported);
      if (r) onResult(items[reported], r.value, reported);
      reported++;
    }
  }

  async function worker() {
    while (next < items.length && !failure && !shouldStop()) {
      const i = next++;
      try {
        done.set(i, { value: await task(items[i], i) });
      } catch (error) {
        failure ??= { error };
        done.set(i, undefined);
      }
      drain();
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return next;
}
