// Per-request timeouts without a timer and an AbortController per request: requests whose
// deadlines fall in the same slot share one signal and one timer, which fires at the slot's end.
import { clampDelay } from "./delay.ts";

/** One request's deadline, from a slot shared with the requests started about the same time. */
export interface Deadline {
  /** Aborts at the request's deadline or at most one slot after it (never before it). */
  readonly signal: AbortSignal;
  /** Whether the deadline has passed (the signal aborted for time, not for `stop`). */
  timedOut(): boolean;
}

interface Slot {
  controller: AbortController;
  expired: boolean;
  /** The one {@link Deadline} handed to every request of this slot (no object per request). */
  deadline: Deadline;
}

/**
 * A shared deadline sweep. `start()` puts a request in the slot holding `now + timeoutMs`
 * (slots are timeout / 50 wide, between 1 and 250 ms); each slot has one `AbortController` and
 * one `AbortSignal.timeout` firing at the slot's end. So a request is aborted no sooner than
 * `timeoutMs` and at most one slot later, and a run of thousands of requests arms at most about
 * 50 timers per timeout period instead of one per request. `AbortSignal.timeout` rather than
 * `setTimeout`: it never keeps a finished process alive (a request in flight does), and Deno
 * 2.9's Node-style `setTimeout` costs ~5 ms to load on first use, on every command's first
 * request. When `stop` aborts, every live slot aborts at once (and later ones start aborted).
 *
 * @example
 * ```ts
 * const deadlines = new Deadlines(50);
 * const d = deadlines.start();
 * await new Promise((resolve) => d.signal.addEventListener("abort", resolve));
 * d.timedOut(); // true: about 50 ms later
 * ```
 */
export class Deadlines {
  readonly #timeoutMs: number;
  readonly #granularityMs: number;
  readonly #slots = new Map<number, Slot>();
  readonly #stop?: AbortSignal;

  /** `timeoutMs` is clamped to the platform's longest timer; `stop` aborts every request. */
  constructor(timeoutMs: number, stop?: AbortSignal) {
    this.#timeoutMs = clampDelay(timeoutMs);
    this.#granularityMs = Math.min(Math.max(Math.floor(this.#timeoutMs / 50), 1), 250);
    this.#stop = stop;
    stop?.addEventListener("abort", () => {
      for (const slot of this.#slots.values()) slot.controller.abort(stop.reason);
    }, { once: true });
  }

  /** Starts one request's deadline (`timeoutMs` from now). */
  start(): Deadline {
    const g = this.#granularityMs;
    const key = Math.ceil((performance.now() + this.#timeoutMs) / g);
    let slot = this.#slots.get(key);
    if (!slot) {
      const controller = new AbortController();
      if (this.#stop?.aborted) controller.abort(this.#stop.reason);
      const fresh: Slot = {
        controller,
        expired: false,
        deadline: { signal: controller.signal, timedOut: () => fresh.expired },
      };
      const wait = clampDelay(Math.ceil(key * g - performance.now()));
      AbortSignal.timeout(wait).addEventListener("abort", (e) => {
        fresh.expired = true;
        this.#slots.delete(key);
        controller.abort((e.target as AbortSignal).reason);
      }, { once: true });
      this.#slots.set(key, fresh);
      slot = fresh;
    }
    return slot.deadline;
  }

  /** Slots whose deadline has not passed yet. */
  get pending(): number {
    return this.#slots.size;
  }
}
