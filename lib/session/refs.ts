// Session-history references: lexing, resolution against a history store, and the
// collected one-line error. The SQLite store itself lives in session.ts.
import { BAD_UUID, canonicalUuid } from "../api/uuid.ts";

/** A parsed history reference: the tip, an absolute id, or N steps back/forward. */
export type Reference =
  | { kind: "tip" }
  | { kind: "id"; n: bigint }
  | { kind: "back"; n: bigint }
  | { kind: "forward"; n: bigint };

/** One row of `session_history`, as far as references care. */
export interface HistoryEntry {
  /** The row's id (what `@N`/absolute references name). */
  id: bigint;
  /** The entry it follows, or null for a session's first entry. */
  parentId: bigint | null;
  /** The session it belongs to. */
  sessionKey: string;
  /** The operation it records. */
  operationUuid: string;
}

/** Read access to the session history; implemented over the original's SQLite DB. */
export interface HistoryStore {
  /** The active branch tip of a session, or undefined when the session is not active. */
  tip(sessionKey: string): HistoryEntry | undefined;
  /** Any entry by id, whatever its session (the original does not scope absolute ids). */
  entry(id: bigint): HistoryEntry | undefined;
  /** The child of `id` with the highest id within `sessionKey`. */
  latestChild(id: bigint, sessionKey: string): HistoryEntry | undefined;
  /** Releases the store (the SQLite connection); called once resolution is done. */
  close?(): void;
  /** Where the history lives (the database path), for error messages. */
  name?: string;
}

/**
 * The `UUID_OR_REF` arguments could not be turned into UUIDs. The message is the one line to
 * print after `[ERROR] `.
 */
export class ReferenceError extends Error {
  /** Always `"ReferenceError"`. */
  override name = "ReferenceError";
}

/**
 * The session database could not be read at all (corrupted, foreign schema, locked). A subclass
 * of {@link ReferenceError} so callers handle it alike, but reported once, not per token.
 */
export class HistoryStoreError extends ReferenceError {
  /** Always `"HistoryStoreError"`. */
  override name = "HistoryStoreError";
}

/** Why one reference token does not resolve; collected, never reported alone. */
class Unresolvable extends Error {}

/** Longest bare number taken as a history id; longer ones are UUID candidates. */
const MAX_ID_DIGITS = 18;

/**
 * Classifies a token as a history reference, or `undefined` for a literal.
 *
 * @example
 * ```ts
 * parseReference("HEAD~2"); // { kind: "back", n: 2n }
 * parseReference("@+1"); // { kind: "forward", n: 1n }
 * parseReference("019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"); // undefined
 * ```
 */
export function parseReference(token: string): Reference | undefined {
  if (token.startsWith("HEAD~")) {
    const rest = token.slice(5);
    if (rest === "") return { kind: "back", n: 1n };
    return /^[0-9]+$/.test(rest) ? { kind: "back", n: BigInt(rest) } : undefined;
  }
  const m = /^(HEAD|@|:)?([+-])?([0-9]*)$/.exec(token);
  if (!m) return undefined;
  const [, prefix, sign, digits] = m;
  if (!prefix) {
    if (sign || !digits || digits.length > MAX_ID_DIGITS) return undefined;
    return { kind: "id", n: BigInt(digits) };
  }
  if (!digits) return sign ? undefined : { kind: "tip" };
  const n = BigInt(digits);
  if (sign === "-") return { kind: "back", n };
  return sign === "+" ? { kind: "forward", n } : { kind: "id", n };
}

/** Splits every argument on whitespace and drops empty pieces. */
export function splitTokens(args: readonly string[]): string[] {
  return args.flatMap((a) => a.split(/\s+/)).filter((t) => t !== "");
}

const NO_SESSION =
  "No active session; cannot resolve history entry. Name the operation by UUID, or choose the session that has history with -S/--session or CONTREE_SESSION.";

/**
 * Follows `next` up to `n` times from `start`. Returns the entry reached, or the number of steps
 * taken when `next` ran out. Reaching an entry a second time means the links form a cycle (a
 * damaged database): that is a {@link HistoryStoreError}, never an endless or wrong walk.
 */
function walk(
  start: HistoryEntry,
  n: bigint,
  next: (e: HistoryEntry) => HistoryEntry | undefined,
  store: HistoryStore,
): HistoryEntry | bigint {
  const seen = new Set([start.id]);
  let at = start;
  for (let i = 0n; i < n; i++) {
    const step = next(at);
    if (!step) return i;
    if (seen.has(step.id)) {
      const where = store.name ? `session database ${store.name}` : "session history";
      throw new HistoryStoreError(
        `Cannot resolve history references: the ${where} is damaged ` +
          `(the parent links of entry ${step.id} form a cycle)`,
      );
    }
    seen.add(step.id);
    at = step;
  }
  return at;
}

/** Finds the history entry a reference points at. */
function findEntry(ref: Reference, store: HistoryStore, sessionKey: string): HistoryEntry {
  const tip = store.tip(sessionKey);
  if (!tip) throw new Unresolvable(NO_SESSION);
  if (ref.kind === "tip") return tip;
  if (ref.n === 0n) throw new Unresolvable("History reference must be a non-zero number");
  if (ref.kind === "id") {
    const found = store.entry(ref.n);
    if (!found) throw new Unresolvable(`History entry ${ref.n} not found`);
    return found;
  }
  if (ref.kind === "back") {
    const got = walk(
      tip,
      ref.n,
      (e) => e.parentId === null ? undefined : store.entry(e.parentId),
      store,
    );
    if (typeof got !== "bigint") return got;
    throw new Unresolvable(`Cannot go back ${ref.n} steps: only ${got} ancestors available`);
  }
  const got = walk(tip, ref.n, (e) => store.latestChild(e.id, sessionKey), store);
  if (typeof got !== "bigint") return got;
  throw new Unresolvable(`Cannot go forward ${ref.n} steps: only ${got} children available`);
}

/**
 * Resolves one reference to a canonical operation UUID. Throws an Error whose
 * message is the reason (the text after `<token>: ` in the collected line); errors of the store
 * itself ({@link HistoryStoreError}) pass through unchanged.
 */
export function resolveReference(ref: Reference, store: HistoryStore, sessionKey: string): string {
  const entry = findEntry(ref, store, sessionKey);
  if (!entry.operationUuid) {
    throw new Unresolvable(`History entry ${entry.id} has no operation UUID`);
  }
  const uuid = canonicalUuid(entry.operationUuid);
  if (!uuid) throw new Unresolvable(BAD_UUID);
  return uuid;
}

/**
 * Turns `UUID_OR_REF` arguments into canonical UUIDs: splits on whitespace, validates literals,
 * resolves references against the store (opened only if a reference needs it, closed after).
 * All token failures are collected into one {@link ReferenceError}; a store that
 * cannot be read throws its own {@link HistoryStoreError} once. Nothing is returned partially.
 *
 * @example
 * ```ts
 * resolveTokens(["019E3FB6-E2D8-7350-A8F9-8B2B5EBFDA7F"], () => { throw new Error("unused"); }, "s");
 * // ["019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f"]
 * ```
 */
export function resolveTokens(
  args: readonly string[],
  openStore: () => HistoryStore,
  sessionKey: string,
): string[] {
  const out: string[] = [];
  const bad: string[] = [];
  let store: HistoryStore | undefined;
  try {
    for (const token of splitTokens(args)) {
      const ref = parseReference(token);
      if (!ref) {
        const uuid = canonicalUuid(token);
        if (uuid) out.push(uuid);
        else bad.push(token);
        continue;
      }
      store ??= openStore();
      try {
        out.push(resolveReference(ref, store, sessionKey));
      } catch (e) {
        if (!(e instanceof Unresolvable)) throw e;
        bad.push(`${token}: ${e.message}`);
      }
    }
  } finally {
    store?.close?.();
  }
  if (bad.length) {
    throw new ReferenceError(
      `Invalid operation reference${bad.length > 1 ? "s" : ""}: ${bad.join(" ")}`,
    );
  }
  return out;
}
