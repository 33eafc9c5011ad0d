// Numeric settings from the environment: one reader, one wording for bad values.
import { ConfigError } from "./config.ts";
import type { Env } from "../cli/io.ts";

/** Longest timer a platform `setTimeout` honours (2^31 − 1 ms), in whole seconds. */
export const MAX_TIMER_SECONDS: number = Math.floor((2 ** 31 - 1) / 1000);

/** Bounds and defaults of a numeric environment variable. */
export interface EnvNumberOptions {
  /** Value when the variable is unset or empty. */
  fallback: number;
  /** Smallest accepted value. */
  min: number;
  /** Largest accepted value (for durations: at most {@link MAX_TIMER_SECONDS}). */
  max?: number;
  /** Reject `min` itself (for values that must be positive). */
  exclusive?: boolean;
  /** Only whole numbers. */
  integer?: boolean;
  /** Say "of seconds" in the error. */
  seconds?: boolean;
}

/**
 * Reads a number from `env[name]`; a bad value is a one-line {@link ConfigError} naming the
 * variable and the accepted range.
 *
 * @example
 * ```ts
 * envNumber({ CONTREE_CONCURRENCY: "4" }, "CONTREE_CONCURRENCY", { fallback: 8, min: 1 }); // 4
 * ```
 */
export function envNumber(env: Env, name: string, opts: EnvNumberOptions): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return opts.fallback;
  const n = Number(raw);
  const max = opts.max ?? (opts.seconds ? MAX_TIMER_SECONDS : Infinity);
  const what = `${opts.integer ? "an integer" : "a number"}${opts.seconds ? " of seconds" : ""}`;
  const aboveMin = opts.exclusive ? n > opts.min : n >= opts.min;
  if (!Number.isFinite(n) || !aboveMin || (opts.integer && !Number.isInteger(n))) {
    throw new ConfigError(
      `${name} must be ${what} ${opts.exclusive ? ">" : ">="} ${opts.min}, got '${raw}'`,
    );
  }
  if (n > max) throw new ConfigError(`${name} must be ${what} <= ${max}, got '${raw}'`);
  return n;
}

/**
 * Reads a comma-separated list of delays in seconds (`0.5,1,2`). Unset gives `fallback`; an
 * empty value gives `empty` (for retries: none at all).
 */
export function envDelays(env: Env, name: string, fallback: number[], empty = fallback): number[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === "") return empty;
  const delays = raw.split(",").map(Number);
  if (delays.some((d) => !Number.isFinite(d) || d < 0)) {
    throw new ConfigError(`${name} must be comma-separated seconds, got '${raw}'`);
  }
  return delays;
}

/** Default number of requests in flight: page requests of a listing, DELETEs of a bulk cancel. */
export const DEFAULT_CONCURRENCY = 8;

/** Reads `CONTREE_CONCURRENCY` (a positive integer), as the original does. */
export function concurrencyFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  return envNumber(env, "CONTREE_CONCURRENCY", {
    fallback: DEFAULT_CONCURRENCY,
    min: 1,
    integer: true,
  });
}
