// Small, strict readers for checking our output by parsing it back (no JSR here).

/** RFC 4180 reader: CRLF records, `"`-quoted fields with doubled quotes. Throws on bad input. */
export function parseDelimited(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
        if (i < text.length && text[i] !== delimiter && text[i] !== "\r") {
          throw new Error(`garbage after closing quote at ${i}`);
        }
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
      i++;
    } else if (c === delimiter) {
      row.push(field);
      field = "";
      i++;
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else if (c === "\n" || c === "\r" || c === '"') {
      throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error("unterminated quote");
  if (field !== "" || row.length) throw new Error("last record without CRLF");
  return rows;
}

/** Header + rows → objects. Every row must have exactly the header's width. */
export function delimitedRecords(text: string, delimiter = ","): Record<string, string>[] {
  const [header, ...rows] = parseDelimited(text, delimiter);
  return rows.map((r, n) => {
    if (r.length !== header.length) throw new Error(`row ${n} has ${r.length} fields`);
    return Object.fromEntries(header.map((k, i) => [k, r[i]]));
  });
}

/** A TOML value as this reader sees it; datetimes are tagged. */
export type TomlValue = string | number | boolean | { datetime: string };

/**
 * The TOML subset our writer emits: `[[results]]` headers, `key = value` lines (bare or quoted
 * keys; basic strings with escapes, integers, floats incl. inf/nan, booleans, offset date-times),
 * blank lines.
 */
export function parseTomlResults(text: string): Record<string, TomlValue>[] {
  const tables: Record<string, TomlValue>[] = [];
  for (const [n, line] of text.split("\n").entries()) {
    if (line === "") continue;
    if (line === "[[results]]") {
      tables.push({});
      continue;
    }
    const m = /^([A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*") = (.*)$/.exec(line);
    if (!m || !tables.length) throw new Error(`line ${n + 1}: ${line}`);
    const key = m[1].startsWith('"') ? JSON.parse(m[1]) : m[1];
    if (key in tables[tables.length - 1]) throw new Error(`line ${n + 1}: duplicate key ${key}`);
    tables[tables.length - 1][key] = tomlValue(m[2], n + 1);
  }
  return tables;
}

function tomlValue(raw: string, line: number): TomlValue {
  if (raw.startsWith('"')) {
    // deno-lint-ignore no-control-regex
    if (!/^"(?:[^"\\\x00-\x08\x0a-\x1f]|\\["\\nrtbf]|\\u[0-9a-fA-F]{4})*"$/.test(raw)) {
      throw new Error(`line ${line}: bad string ${raw}`);
    }
    return JSON.parse(raw);
  }
  if (raw === "true" || raw === "false") return raw === "true";
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) {
    return { datetime: raw };
  }
  if (/^[+-]?(0|[1-9]\d*)$/.test(raw)) return Number(raw);
  if (/^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) return Number(raw);
  if (/^[+-]?inf$/.test(raw)) return raw.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(raw)) return NaN;
  throw new Error(`line ${line}: bad value ${raw}`);
}
