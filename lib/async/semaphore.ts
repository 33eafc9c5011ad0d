// The one semaphore: bounds work in flight across callers (the webhook server's upstream cap).

/**
 * A counting semaphore: at most `limit` holders at once, waiters served in order.
 *
 * @example
 * ```ts
 * const sem = new Semaphore(2);
 * const results = await Promise.all([1, 2, 3].map((n) => sem.run(() => Promise.resolve(n * 2))));
 * // [2, 4, 6], never more than 2 running at once
 * ```
 */
export class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  /** `limit`: holders allowed at once. */
  constructor(readonly limit: number) {
    this.#free = limit;
  }
  /** Holders right now. */
  get inUse(): number {
    return this.limit - this.#free;
  }
  /** Waits for a permit; pair every call with {@link release}. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  /** Gives a permit back: to the longest waiter, else to the pool. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
  /** Runs `task` holding a permit, released however the task ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}
