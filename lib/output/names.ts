/**
 * The `-f/--format` choices, sorted as argparse lists them. Kept apart from the formatter so the
 * command table can name them without loading any format's code.
 */
export const FORMAT_NAMES = [
  "csv",
  "default",
  "json",
  "json-pretty",
  "plain",
  "table",
  "toml",
  "tsv",
] as const;

/** One of {@link FORMAT_NAMES}. */
export type FormatName = typeof FORMAT_NAMES[number];
