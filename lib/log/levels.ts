/** `-L/--log-level` choices, in order of severity. Kept apart so the command table loads no logger. */
export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

/** One of {@link LOG_LEVELS}. */
export type CliLogLevel = typeof LOG_LEVELS[number];
