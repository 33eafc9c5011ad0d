// Makes text from the network or the command line safe to show on a terminal: control characters
// and bidi overrides are replaced by a visible spelling, so no escape sequence can reach the tty.

/** Options of {@link escapeControl}. */
export interface EscapeOptions {
  /**
   * Leave tab and line feed alone (multi-line table and plain cells need them). Default false:
   * they are escaped too, so the text stays on one line.
   */
  keepLines?: boolean;
  /**
   * Spell every escape `\uXXXX`, which is also a valid escape inside a JSON string (for JSON log
   * lines). Default false: `\t` `\n` `\r`, `\xHH` below U+0100, `\uXXXX` above.
   */
  unicode?: boolean;
}

// C0 controls, DEL, C1 controls (U+0080–U+009F), bidi embeddings/overrides (U+202A–U+202E) and
// isolates (U+2066–U+2069).
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// deno-lint-ignore no-control-regex
const UNSAFE_ALL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
// The same without tab and line feed.
// deno-lint-ignore no-control-regex
const UNSAFE_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// deno-lint-ignore no-control-regex
const UNSAFE_LINES_ALL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, "0");
const visible = (c: string) => SHORT[c] ?? (c < "\u0100" ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`);
const visibleUnicode = (c: string) => `\\u${hex(c, 4)}`;

/**
 * Whether `text` holds a character {@link escapeControl} would replace (a single regex test).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(hasControl("plain text"), false);
 * assert.equal(hasControl("\x1b[31m"), true);
 * ```
 */
export function hasControl(text: string, options: EscapeOptions = {}): boolean {
  return (options.keepLines ? UNSAFE_LINES : UNSAFE).test(text);
}

/**
 * Replaces control characters (C0, DEL, C1) and bidi override/isolate characters with a visible
 * spelling (`\x1b`, `\r`, `\u202e`), so text from an API body, an error or argv cannot move the
 * cursor, recolour, retitle or reorder a terminal. Text without such characters is returned as
 * is (one regex test, no copy). Backslashes are not doubled: this is for display, not a codec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(escapeControl("red \x1b[31m\r\nline"), "red \\x1b[31m\\r\\nline");
 * assert.equal(escapeControl("a\tb\nc\u202e", { keepLines: true }), "a\tb\nc\\u202e");
 * assert.equal(escapeControl("\x7f", { unicode: true }), "\\u007f");
 * ```
 */
export function escapeControl(text: string, options: EscapeOptions = {}): string {
  if (!hasControl(text, options)) return text;
  return text.replace(
    options.keepLines ? UNSAFE_LINES_ALL : UNSAFE_ALL,
    options.unicode ? visibleUnicode : visible,
  );
}
