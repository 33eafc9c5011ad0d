/** The wording of Python's UUID parser, kept because it appears in reference error lines. */
export const BAD_UUID = "badly formed hexadecimal UUID string";

/**
 * Parses a UUID in any form Python's `uuid.UUID()` accepts (any case, no hyphens, `{…}`,
 * `urn:uuid:`) and returns it canonical: lower-case and hyphenated (decisions.md §22).
 * Returns `undefined` when the text is not a UUID.
 *
 * @example
 * ```ts
 * canonicalUuid("{019E3FB6E2D87350A8F98B2B5EBFDA7F}"); // "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"
 * canonicalUuid("abc"); // undefined
 * ```
 */
export function canonicalUuid(text: string): string | undefined {
  const hex = text.replaceAll("urn:", "").replaceAll("uuid:", "").replace(/^[{}]+|[{}]+$/g, "")
    .replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
