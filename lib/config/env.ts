// Numeric settings from the environment: one reader, one wording for bad values.
import { ConfigError } from "./config.ts";
import type { Env } from "../cli/io.ts";

/** Bounds and defaults of a numeric environment variable. */
export interface EnvNumberOptions {
  /** Value when the variable is unset or empty. */
  fallback: number;
  /** Smallest accepted value. */
  min: number;
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
  const inRange = opts.exclusive ? n > opts.min : n >= opts.min;
  if (!Number.isFinite(n) || !inRange || (opts.integer && !Number.isInteger(n))) {
    const what = `${opts.integer ? "an integer" : "a number"}${opts.seconds ? " of seconds" : ""}`;
    throw new ConfigError(
      `${name} must be ${what} ${opts.exclusive ? ">" : ">="} ${opts.min}, got '${raw}'`,
    );
  }
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
