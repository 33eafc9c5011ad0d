/** Sections of an INI file: name → (lower-cased key → value). `DEFAULT` is kept as its own section. */
export type Ini = Map<string, Map<string, string>>;

/** A file the INI reader cannot accept; the message names the file and line. */
export class IniError extends Error {
  /** Always `"IniError"`. */
  override name = "IniError";
}

/**
 * Parses INI text the way Python's `configparser` reads the files the original CLI writes:
 * `[section]` headers, `key = value` or `key: value`, `#`/`;` comment lines, indented
 * continuation lines, keys lower-cased. Later files merge over earlier ones via `into`.
 *
 * @example
 * ```ts
 * const ini = parseIni("[profile:default]\ntoken = abc\n", "auth.ini");
 * ini.get("profile:default")?.get("token"); // "abc"
 * ```
 */
export function parseIni(text: string, file: string, into: Ini = new Map()): Ini {
  let section: Map<string, string> | undefined;
  let lastKey: string | undefined;
  const seenSections = new Set<string>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const where = `Invalid config file ${file}, line ${i + 1}`;
    const stripped = raw.trim();
    if (stripped === "" || stripped.startsWith("#") || stripped.startsWith(";")) {
      if (stripped === "") lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw) && section && lastKey !== undefined) {
      section.set(lastKey, `${section.get(lastKey)}\n${stripped}`);
      return;
    }
    const header = /^\[(.+)\]$/.exec(stripped);
    if (header) {
      const name = header[1];
      if (seenSections.has(name)) throw new IniError(`${where}: section '${name}' already exists`);
      seenSections.add(name);
      section = into.get(name) ?? new Map();
      into.set(name, section);
      lastKey = undefined;
      return;
    }
    if (!section) throw new IniError(`${where}: file contains no section headers`);
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (!m) throw new IniError(`${where}: cannot parse ${JSON.stringify(raw)}`);
    lastKey = m[1].toLowerCase();
    section.set(lastKey, m[2]);
  });
  return into;
}

/** Looks up a key as configparser does: the section first, then `[DEFAULT]`. */
export function iniGet(ini: Ini, section: string, key: string): string | undefined {
  return ini.get(section)?.get(key) ?? ini.get("DEFAULT")?.get(key);
}
