import { BAD_UUID, canonicalUuid } from "./uuid.ts";

/** A parsed history reference: the tip, an absolute id, or N steps back/forward. */
export type Reference =
  | { kind: "tip" }
  | { kind: "id"; n: bigint }
  | { kind: "back"; n: bigint }
  | { kind: "forward"; n: bigint };

/** One row of `session_history`, as far as references care. */
export interface HistoryEntry {
  id: bigint;
  parentId: bigint | null;
  sessionKey: string;
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
}

/** Resolution failed for one or more tokens; the message is the original's collected line. */
export class ReferenceError extends Error {
  override name = "ReferenceError";
}

/** Longest bare number taken as a history id; longer ones are UUID candidates (decisions §23). */
const MAX_ID_DIGITS = 18;

/**
 * Classifies a token as a history reference (spec §3.3), or `undefined` for a literal.
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
  return sign === "-"
    ? { kind: "back", n }
    : sign === "+"
    ? { kind: "forward", n }
    : { kind: "id", n };
}

/** Splits every argument on whitespace and drops empty pieces (spec §3.5). */
export function splitTokens(args: readonly string[]): string[] {
  return args.flatMap((a) => a.split(/\s+/)).filter((t) => t !== "");
}

const NO_SESSION = "No active session; cannot resolve history entry. Run `contree use` first.";

/** Resolves one reference to an operation UUID; throws an Error whose message is the reason. */
export function resolveReference(ref: Reference, store: HistoryStore, sessionKey: string): string {
  const tip = store.tip(sessionKey);
  if (!tip) throw new Error(NO_SESSION);
  let entry: HistoryEntry = tip;
  if (ref.kind !== "tip" && ref.n === 0n) {
    throw new Error("History reference must be a non-zero number");
  }
  if (ref.kind === "id") {
    const found = store.entry(ref.n);
    if (!found) throw new Error(`History entry ${ref.n} not found`);
    entry = found;
  } else if (ref.kind === "back") {
    for (let i = 0n; i < ref.n; i++) {
      const parent = entry.parentId === null ? undefined : store.entry(entry.parentId);
      if (!parent) throw new Error(`Cannot go back ${ref.n} steps: only ${i} ancestors available`);
      entry = parent;
    }
  } else if (ref.kind === "forward") {
    for (let i = 0n; i < ref.n; i++) {
      const child = store.latestChild(entry.id, sessionKey);
      if (!child) {
        throw new Error(`Cannot go forward ${ref.n} steps: only ${i} children available`);
      }
      entry = child;
    }
  }
  if (!entry.operationUuid) throw new Error(`History entry ${entry.id} has no operation UUID`);
  const uuid = canonicalUuid(entry.operationUuid);
  if (!uuid) throw new Error(BAD_UUID);
  return uuid;
}

/**
 * Turns `UUID_OR_REF` arguments into canonical UUIDs: splits on whitespace, validates literals,
 * resolves references against the store (opened only if a reference needs it). All failures are
 * collected into one {@link ReferenceError} (spec §3.7); nothing is returned partially.
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
  for (const token of splitTokens(args)) {
    const ref = parseReference(token);
    if (!ref) {
      const uuid = canonicalUuid(token);
      if (uuid) out.push(uuid);
      else bad.push(token);
      continue;
    }
    try {
      store ??= openStore();
      out.push(resolveReference(ref, store, sessionKey));
    } catch (e) {
      bad.push(`${token}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (bad.length) {
    throw new ReferenceError(
      `Invalid operation reference${bad.length > 1 ? "s" : ""}: ${bad.join(" ")}`,
    );
  }
  return out;
}
