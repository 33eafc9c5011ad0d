// JSON as the original (Python's `json` module) reads and writes it: integers of any size kept
// exactly, floats remembered as floats (`5.0` stays `5.0`), `", "`/`": "` separators and
// `\uXXXX` escapes of everything outside printable ASCII.

/** A JSON number written with a fraction or exponent whose value is whole (`5.0`, `1e3`). */
export class PyFloat {
  /** Wraps a whole-valued float so it is written back with its fraction. */
  constructor(readonly value: number) {}
  /** The Python `repr` of the float (`5.0`, `1e+300`). */
  toString(): string {
    return floatRepr(this.value);
  }
}

/**
 * A long digit run, or a number like `5.0`/`1e3` right before `,` `}` `]` (false hits are fine).
 * Four simple patterns, tried in turn, scan a page several times faster than one alternation
 * (and `\d` spelt out 16 times faster than `\d{16}`). In valid JSON an exponent always follows a
 * digit; invalid JSON throws on either path.
 */
const MAY_NEED_SOURCE = [
  /\d\d\d\d\d\d\d\d\d\d\d\d\d\d\d\d/,
  /\d\.0+\s*[,}\]]/,
  /\d[eE][+-]?\d+\s*[,}\]]/,
  /^\s*-?\d+(\.0+|[eE])/,
];

/** Python's non-standard number tokens, outside strings (cheap pre-check: the words at all). */
const MAY_HAVE_NON_FINITE = /Infinity|NaN/;
const STRING_OR_NON_FINITE = /"(?:[^"\\]|\\.)*"|(?<![\w.])(?:-?Infinity|NaN)(?![\w.])/g;

/**
 * Parses JSON text keeping what `JSON.parse` loses: integers beyond 2^53 become `bigint`, and
 * whole numbers written as floats become {@link PyFloat}. Like Python's `json.loads`, the tokens
 * `Infinity`, `-Infinity` and `NaN` are accepted as numbers. Throws `SyntaxError` like
 * `JSON.parse`.
 *
 * @example
 * ```ts
 * parseJson('{"id": 12345678901234567890, "d": 5.0}'); // { id: 12345678901234567890n, d: PyFloat(5) }
 * parseJson('[Infinity, -Infinity, NaN]'); // [Infinity, -Infinity, NaN]
 * ```
 */
export function parseJson(text: string): unknown {
  // Fast path: no integer too long for a double, no whole number written as a float. `JSON.parse`
  // throws on Python's `NaN`/`Infinity` tokens (and on invalid JSON): the general path decides.
  if (!MAY_NEED_SOURCE.some((re) => re.test(text))) {
    try {
      return JSON.parse(text);
    } catch { /* the general path below parses it or throws the same error */ }
  }
  return parseGeneral(text);
}

/** {@link parseJson} for text that may need the source of its numbers. */
function parseGeneral(text: string): unknown {
  let nan: string | undefined;
  if (MAY_HAVE_NON_FINITE.test(text)) {
    // A number literal that does not occur in the text stands for NaN; 1e999 is Infinity.
    let k = 0;
    do nan = `-0.0E-314159${k++}`; while (text.includes(nan));
    const marker = nan;
    text = text.replace(
      STRING_OR_NON_FINITE,
      (m) => m[0] === '"' ? m : m === "NaN" ? marker : m[0] === "-" ? "-1e999" : "1e999",
    );
  } else if (!MAY_NEED_SOURCE.some((re) => re.test(text))) {
    // Fast path: no integer too long for a double, no whole number written as a float.
    return JSON.parse(text);
  }
  return JSON.parse(
    text,
    function (_key, value, context?: { source?: string }) {
      if (typeof value !== "number" || context?.source === undefined) return value;
      const src = context.source;
      if (src === nan) return NaN;
      if (/[.eE]/.test(src)) return Number.isInteger(value) ? new PyFloat(value) : value;
      return Number.isSafeInteger(value) ? value : BigInt(src);
    } as (this: unknown, key: string, value: unknown) => unknown,
  );
}

/** Python's `repr(float)`: shortest round-trip digits, exponent outside 1e-4 ≤ |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e16) {
    // Fixed notation: JavaScript's shortest round-trip digits are Python's (`.0` on whole ones).
    const text = String(x);
    return Number.isInteger(x) ? `${text}.0` : text;
  }
  // Exponent notation (the exponent is below -4 or at least 16 here): the same shortest digits,
  // with Python's signed, at least two-digit exponent (`1e+16`, `1.5e-05`).
  const [mant, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

const PRINTABLE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal with Python's `ensure_ascii` escaping. */
export function quote(s: string): string {
  if (PRINTABLE.test(s)) return `"${s}"`;
  let out = '"';
  let run = 0; // start of the current run of characters that need no escape
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(run, i);
    run = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      default:
        out += `\\u${c.toString(16).padStart(4, "0")}`;
    }
  }
  return out + s.slice(run) + '"';
}

/** Renders one scalar; objects with a `toJSON`-like `pyJson()` method render themselves. */
function scalar(value: unknown): string | undefined {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return quote(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return String(value);
    case "number":
      return Number.isInteger(value) && Math.abs(value) < 1e21 ? String(value) : floatRepr(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (typeof (value as { pyJson?: unknown }).pyJson === "function") {
    return (value as { pyJson(): string }).pyJson();
  }
  return undefined;
}

/**
 * Serialises like Python's `json.dumps(value)` (no indent) or `json.dumps(value, indent=n)`.
 *
 * @example
 * ```ts
 * dumps({ name: "café", n: 1 }); // '{"name": "caf\\u00e9", "n": 1}'
 * ```
 */
export function dumps(value: unknown, indent?: number, level = 0): string {
  const s = scalar(value);
  if (s !== undefined) return s;
  const pad = indent === undefined ? "" : "\n" + " ".repeat(indent * (level + 1));
  const end = indent === undefined ? "" : "\n" + " ".repeat(indent * level);
  const sep = indent === undefined ? ", " : ",";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${pad}${value.map((v) => dumps(v, indent, level + 1)).join(sep + pad)}${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) =>
    v !== undefined
  );
  if (entries.length === 0) return "{}";
  return `{${pad}${
    entries.map(([k, v]) => `${quote(k)}: ${dumps(v, indent, level + 1)}`).join(sep + pad)
  }${end}}`;
}
