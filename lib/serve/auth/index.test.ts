import assert from "node:assert/strict";
import { tokenChecker } from "./index.ts";

Deno.test("tokenChecker: accepts the token only, not a prefix, an extension or the empty string", async () => {
  const check = await tokenChecker("read-token-123");
  assert.equal(await check("read-token-123"), true);
  assert.equal(await check("read-token-12"), false);
  assert.equal(await check("read-token-1234"), false);
  assert.equal(await check(""), false);
});
