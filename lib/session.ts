// Session key and session-history store. The SQLite reader arrives with issue #3.
import type { Env, Io } from "./io.ts";
import type { HistoryStore } from "./refs.ts";

/** The session key: `-S` > `CONTREE_SESSION` > derived (spec §2.6). */
export function sessionKey(
  flag: string | undefined,
  _profile: string,
  io: Pick<Io, "env" | "cwd">,
): string {
  return flag || io.env.CONTREE_SESSION || "session";
}

/** Opens the profile's session history read-only. */
export function openHistoryStore(_home: string, _profile: string, _env: Env): HistoryStore {
  throw new Error("session-history references are not supported yet");
}
