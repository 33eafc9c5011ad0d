// floatRepr's fixed-notation fast path (issue 12) gives exactly what the general algorithm gives
// (Python's repr: shortest round-trip digits, exponent outside 1e-4 ≤ |x| < 1e16), checked
// against that algorithm, kept here as the reference, on many doubles of every magnitude.
import assert from "node:assert/strict";
import { floatRepr } from "../../lib/output/pyjson.ts";

/** The general algorithm, as floatRepr was before the fast path. */
function reference(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  const digits = mant.replace("-", "").replace(".", "");
  const sign = x < 0 ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    return `${sign}${int}.${digits.slice(exp + 1) || "0"}`;
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

Deno.test("floatRepr: the fast path matches the general algorithm on every magnitude", () => {
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const samples = [
    1e-4,
    9.999999999999999e-5,
    1e16,
    9999999999999998,
    1e15,
    0.1,
    0.3,
    1.5,
    5,
    3725,
    2 ** 53,
    123456789012345.67,
    1.7976931348623157e308,
    5e-324,
    59.99,
    3599.9,
  ];
  for (let i = 0; i < 20_000; i++) {
    const exp = Math.floor(random() * 40) - 20; // 1e-20 … 1e19
    const x = random() * 10 ** exp;
    samples.push(x, Math.round(x), Math.round(x * 1000) / 1000);
  }
  for (const x of samples) {
    for (const v of [x, -x]) assert.equal(floatRepr(v), reference(v), `${v}`);
  }
});
