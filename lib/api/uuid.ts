/** The wording of Python's UUID parser, kept because it appears in reference error lines. */
export const BAD_UUID = "badly formed hexadecimal UUID string";

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Parses a UUID in any form Python's `uuid.UUID()` accepts (any case, no hyphens, `{…}`,
 * `urn:uuid:`) and returns it canonical: lower-case and hyphenated.
 * Returns `undefined` when the text is not a UUID.
 *
 * @example
 * ```ts
 * canonicalUuid("{019E3FB6E2D87350A8F98B2B5EBFDA7F}"); // "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"
 * canonicalUuid("abc"); // undefined
 * ```
 */
export function canonicalUuid(text: string): string | undefined {
  // Already canonical (what the API lists): the same string back, no copy.
  if (CANONICAL.test(text)) return text;
  const hex = text.replaceAll("urn:", "").replaceAll("uuid:", "").replace(/^[{}]+|[{}]+$/g, "")
    .replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Quotes text that came from outside (the network, a file) for a log line or an error: JSON
 * string syntax with every control character escaped (C0, DEL, C1, line/paragraph separators),
 * cut to `max` characters.
 *
 * @example
 * ```ts
 * quoteText("../../etc/passwd?x=1#\u001b[2J"); // '"../../etc/passwd?x=1#\\u001b[2J"'
 * ```
 */
export function quoteText(text: string, max = 100): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
