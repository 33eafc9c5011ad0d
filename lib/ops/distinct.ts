// Lists known to hold canonical UUIDs, each once: the active listing marks what it returns, so
// the bulk cancel does not check 200,000 UUIDs again with a second set as large as the first.
import { canonicalUuid } from "../api/uuid.ts";

/** Marked lists, with their length when marked (a list that changed length is checked again). */
const marked = new WeakMap<readonly string[], number>();

/**
 * Marks `uuids` as canonical and distinct when every one is canonical (the caller has already
 * removed duplicates); returns whether it did.
 *
 * @example
 * ```ts
 * const uuids = ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"];
 * markDistinct(uuids); // true
 * isMarkedDistinct(uuids); // true
 * ```
 */
export function markDistinct(uuids: readonly string[]): boolean {
  for (const uuid of uuids) if (canonicalUuid(uuid) !== uuid) return false;
  marked.set(uuids, uuids.length);
  return true;
}

/**
 * Whether `uuids` was marked by {@link markDistinct} and still has the length it had then.
 *
 * @example
 * ```ts
 * isMarkedDistinct(["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]); // false: never marked
 * ```
 */
export function isMarkedDistinct(uuids: readonly string[]): boolean {
  return marked.get(uuids) === uuids.length;
}
