import { FileReadError, readSmallFile } from "./file.ts";
import { type Ini, iniGet, parseIni } from "./ini.ts";
import type { Env } from "../cli/io.ts";

/** The URL IAM profiles use when none is configured. */
export const IAM_DEFAULT_URL = "https://api.tokenfactory.nebius.com/sandboxes";

/** A resolved profile: where to send requests and how to authenticate. */
export interface Profile {
  /** The profile's name (`[profile:<name>]` in `auth.ini`). */
  name: string;
  /** How to authenticate: a JWT bearer token, or IAM (token plus `Project` header). */
  type: "jwt" | "iam";
  /** The bearer token, if configured. */
  token?: string;
  /** The API base URL, without a trailing slash. */
  url: string;
  /** The project id (IAM profiles). */
  project?: string;
}

/** A configuration problem: one line to print, exit status 1. */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override name = "ConfigError";
  /**
   * Lines to print after the error line, as they are (an example of what to put in a file), each
   * ending with a newline; empty when there is none.
   */
  readonly hint: string;
  /** `message` is the error line; `hint` follows it (see {@link ConfigError.hint}). */
  constructor(message: string, hint = "") {
    super(message);
    this.hint = hint;
  }
}

/**
 * The user's home directory as Python's `expanduser` finds it: `HOME` on POSIX; on Windows
 * `USERPROFILE`, else `HOMEDRIVE` + `HOMEPATH` (then `HOME`, as Git Bash sets it). Empty values
 * are skipped.
 */
function homeDir(env: Env, os: typeof Deno.build.os): string {
  const drivePath = env.HOMEDRIVE && env.HOMEPATH ? env.HOMEDRIVE + env.HOMEPATH : undefined;
  return (os === "windows"
    ? env.USERPROFILE || drivePath || env.HOME
    : env.HOME || env.USERPROFILE) ||
    ".";
}

/** Expands a leading `~` (`~/…`, and `~\…` on Windows) to the home directory. */
function expandUser(path: string, env: Env, os: typeof Deno.build.os = Deno.build.os): string {
  const tilde = os === "windows" ? /^~(?:[\\/]|$)/ : /^~(?:\/|$)/;
  return tilde.test(path) ? homeDir(env, os) + path.slice(1) : path;
}

/**
 * `CONTREE_HOME`: the env var, else `$XDG_CONFIG_HOME/contree`, else `~/.config/contree`
 * (`~` expanded in both; on Windows `%USERPROFILE%` stands in for `~`). Parts are joined with
 * `/`, which Deno's file APIs accept on Windows too. `os` is for tests.
 */
export function contreeHome(env: Env, os: typeof Deno.build.os = Deno.build.os): string {
  if (env.CONTREE_HOME) return expandUser(env.CONTREE_HOME, env, os);
  const xdg = env.XDG_CONFIG_HOME
    ? expandUser(env.XDG_CONFIG_HOME, env, os)
    : `${homeDir(env, os)}/.config`;
  return `${xdg}/contree`;
}

/** The largest config file read; anything bigger is not a config file the CLI wrote. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a config file if it exists; a missing file is an empty config. Only a regular file of at
 * most {@link MAX_CONFIG_BYTES} is read (a link to `/dev/zero` or a FIFO would never end);
 * anything else, or an unreadable file, is a one-line {@link ConfigError} naming the path.
 */
function readOptional(path: string): string | undefined {
  try {
    const bytes = readSmallFile(path, MAX_CONFIG_BYTES);
    return bytes && new TextDecoder().decode(bytes);
  } catch (e) {
    if (e instanceof FileReadError) {
      throw new ConfigError(`Cannot read config file ${path}: ${e.message}`);
    }
    throw e;
  }
}

/**
 * `cli.ini` only: read before argument parsing, for its `[cli]` flag defaults, and merged under
 * `auth.ini` later.
 */
export function loadCliIni(home: string): Ini {
  const path = `${home}/cli.ini`;
  const text = readOptional(path);
  return text === undefined ? new Map() : parseIni(text, path);
}

/** Defaults for global flags from `cli.ini [cli]` (DEFAULT values apply too, as in configparser). */
export function cliDefaults(cliIni: Ini): Record<string, string> {
  const out: Record<string, string> = {};
  if (!cliIni.has("cli")) return out;
  for (
    const key of [
      "output_format",
      "log_level",
      "session_key",
      "profile",
      "token",
      "url",
      "project",
      "config_path",
    ]
  ) {
    const v = iniGet(cliIni, "cli", key);
    if (v) out[key] = v;
  }
  return out;
}

/** The global flags that affect profile resolution. */
export interface ProfileOverrides {
  /** `-p/--profile`: the profile to use. */
  profile?: string;
  /** `--token`: replaces the profile's token. */
  token?: string;
  /** `-u/--url`: replaces the profile's URL. */
  url?: string;
  /** `-P/--project`: replaces the profile's project. */
  project?: string;
  /** `-c/--config-path`: reads this file instead of `auth.ini`. */
  configPath?: string;
}

/**
 * Loads `cli.ini` then `auth.ini` (or `-c`) into one INI (the later file wins), picks the profile
 * (flag > `CONTREE_PROFILE` > file default > `default`) and applies flag overrides.
 * Throws {@link ConfigError} for an unreadable/malformed file, an unknown profile or a JWT
 * profile without URL, checked in that order at start-up.
 */
export function resolveProfile(
  home: string,
  env: Env,
  flags: ProfileOverrides,
  cliIni: Ini = loadCliIni(home),
): Profile {
  const authPath = flags.configPath ? expandUser(flags.configPath, env) : `${home}/auth.ini`;
  const text = readOptional(authPath);
  // An explicit -c naming a missing file is a mistake worth saying, not an empty config.
  if (text === undefined && flags.configPath) {
    throw new ConfigError(`Config file not found: ${authPath}`);
  }
  const ini: Ini = new Map([...cliIni].map(([k, v]) => [k, new Map(v)]));
  if (text !== undefined) parseIni(text, authPath, ini);
  const named = flags.profile || env.CONTREE_PROFILE || iniGet(ini, "DEFAULT", "profile");
  const name = named || "default";
  const section = `profile:${name}`;
  // Credentials from the environment sit between the flags and the profile (flag > env >
  // profile); the token file is read only when no --token makes it moot.
  const token = () => flags.token || tokenFromEnv(env);
  const envUrl = env.CONTREE_URL || undefined;
  if (!ini.has(section)) {
    // No profile at all: a URL from -u or CONTREE_URL is enough (a container, a CI job).
    const url = (flags.url || envUrl || "").replace(/\/+$/, "");
    if (!named && url) return { name, type: "jwt", url, token: token(), project: flags.project };
    throw new ConfigError(
      named
        ? `Profile '${name}' does not exist in ${authPath}: add it, e.g.:`
        : `Profile '${name}' does not exist in ${authPath}: set CONTREE_URL and CONTREE_TOKEN (or CONTREE_TOKEN_FILE), pass -u and --token, or create the file, e.g.:`,
      profileExample(name),
    );
  }
  const get = (key: string) => iniGet(ini, section, key) || undefined;
  const type = get("type")?.toLowerCase() === "iam" ? "iam" : "jwt";
  let url = (flags.url || envUrl || get("url") || "").replace(/\/+$/, "");
  if (!url && type === "iam") url = IAM_DEFAULT_URL;
  if (!url) {
    throw new ConfigError(
      `No URL configured for JWT profile '${name}': add \`url = ...\` to [${section}] in ${authPath}, set CONTREE_URL, or pass -u/--url`,
    );
  }
  return {
    name,
    type,
    url,
    token: token() || get("token"),
    project: flags.project || get("project"),
  };
}

/** The four lines of `auth.ini` that define profile `name`, indented, for an error's hint. */
function profileExample(name: string): string {
  const safe = name.replace(/\p{Cc}/gu, "?");
  return [`[profile:${safe}]`, "type = jwt", "url = https://<API base URL>", "token = <API token>"]
    .map((l) => `    ${l}\n`).join("");
}

/**
 * The API token from the environment: `CONTREE_TOKEN`, or the contents of the file named by
 * `CONTREE_TOKEN_FILE` (a mounted secret: a regular file of at most 1 MiB, one trailing newline
 * stripped). Both set, or an unreadable or empty file, is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * tokenFromEnv({ CONTREE_TOKEN: "t0k3n" }); // "t0k3n"
 * tokenFromEnv({}); // undefined
 * ```
 */
export function tokenFromEnv(env: Env): string | undefined {
  const path = env.CONTREE_TOKEN_FILE;
  if (!path) return env.CONTREE_TOKEN || undefined;
  if (env.CONTREE_TOKEN) {
    throw new ConfigError("CONTREE_TOKEN and CONTREE_TOKEN_FILE are both set: keep one");
  }
  const fail = (why: string) => new ConfigError(`CONTREE_TOKEN_FILE: cannot read ${path}: ${why}`);
  let bytes: Uint8Array | undefined;
  try {
    bytes = readSmallFile(path, MAX_CONFIG_BYTES);
  } catch (e) {
    throw e instanceof FileReadError ? fail(e.message) : e;
  }
  if (bytes === undefined) throw fail("not found");
  const text = new TextDecoder().decode(bytes);
  const token = text.replace(/\r?\n$/, "");
  if (!token) throw fail("empty");
  return token;
}
