// Bearer tokens (the read token, Alertmanager's bearer) checked in constant time.

/**
 * A constant-time check of a bearer token: both sides go through an HMAC under a random
 * per-process key and `crypto.subtle.verify` compares them, so the time taken says nothing about
 * how much of the token matched.
 *
 * @example
 * ```ts
 * import { tokenChecker } from "./index.ts";
 * const check = await tokenChecker("s3cret-token");
 * await check("s3cret-token"); // true
 * await check("guess"); // false
 * ```
 */
export async function tokenChecker(token: string): Promise<(given: string) => Promise<boolean>> {
  const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  const enc = new TextEncoder();
  const expected = await crypto.subtle.sign("HMAC", key, enc.encode(token));
  return (given) => crypto.subtle.verify("HMAC", key, expected, enc.encode(given));
}
