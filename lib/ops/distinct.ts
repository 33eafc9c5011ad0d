// Operation UUIDs already canonical and each once, as a type: the bulk cancel told so (its
// `distinct: true`) skips its own duplicate check, which for 200,000 operations is a second set
// of 200,000 UUIDs. Only `distinctUuids` makes such a list, so the type cannot be claimed by
// mistake (only by an explicit cast).
import { canonicalUuid } from "../api/uuid.ts";

/**
 * Operation UUIDs in canonical form, each operation once (a text that is not a UUID is kept as
 * it is, also once), read-only. Made only by {@link distinctUuids}; `cancelOperations(client,
 * uuids, { distinct: true })` accepts only this type. (`__brand` exists for the type checker
 * only, never at run time.)
 */
export type DistinctUuids = readonly string[] & { readonly __brand: "DistinctUuids" };

/**
 * `texts` in canonical form, each operation once whatever its spelling, in first-seen order;
 * a text that is not a UUID is kept as it is (once). `onRepeat` is called with the canonical
 * form of each text that names an operation already seen.
 *
 * @example
 * ```ts
 * const uuids = distinctUuids([
 *   "019E3FB6-E2D8-7350-A8F9-8B2B5EBFDA7F",
 *   "019e3fb6e2d87350a8f98b2b5ebfda7f",
 * ]);
 * // ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]
 * ```
 */
export function distinctUuids(
  texts: Iterable<string>,
  onRepeat?: (uuid: string) => void,
): DistinctUuids {
  const canonical = Iterator.from(texts).map((text) => canonicalUuid(text) ?? text);
  return firstPerOperation(
    canonical,
    (uuid) => uuid,
    onRepeat,
  ) as readonly string[] as DistinctUuids;
}

/**
 * `items` in order, each operation once (the first item kept): `uuidOf` gives the operation an
 * item names (its canonical UUID, or the text as it is when that is not a UUID), and an item
 * naming one already seen is left out, its UUID passed to `onRepeat`. The one rule of "each
 * operation once", for UUIDs ({@link distinctUuids}) and listed operations alike.
 *
 * @example
 * ```ts
 * const ops = [{ uuid: "a", n: 1 }, { uuid: "b", n: 2 }, { uuid: "a", n: 3 }];
 * firstPerOperation(ops, (op) => op.uuid).map((op) => op.n); // [1, 2]
 * ```
 */
export function firstPerOperation<T>(
  items: Iterable<T>,
  uuidOf: (item: T) => string,
  onRepeat?: (uuid: string) => void,
): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const uuid = uuidOf(item);
    if (seen.has(uuid)) {
      onRepeat?.(uuid);
    } else {
      seen.add(uuid);
      out.push(item);
    }
  }
  return out;
}
