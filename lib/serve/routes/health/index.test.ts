import assert from "node:assert/strict";
import type { Client } from "../../../api/client.ts";
import { ApiError } from "../../../api/errors.ts";
import { apiCheck } from "./index.ts";

Deno.test("apiCheck: a success is reused for cacheMs, a failure for a fifth of it", async () => {
  let calls = 0;
  let fail = true;
  let t = 0;
  const client: Client = {
    request: () => {
      calls++;
      return fail
        ? Promise.reject(new ApiError(502, "Bad Gateway", ""))
        : Promise.resolve({ status: 200, text: "[]" });
    },
    getJson: () => Promise.resolve([]),
  };
  const check = apiCheck({ client, cacheMs: 1000, now: () => t });
  assert.equal(await check(), "http_502");
  t = 100;
  assert.equal(await check(), "http_502");
  assert.equal(calls, 1, "a failure is reused for cacheMs / 5");
  fail = false;
  t = 250;
  assert.equal(await check(), "ok");
  t = 1200;
  assert.equal(await check(), "ok");
  assert.equal(calls, 2, "a success is reused for cacheMs");
  t = 1300;
  assert.equal(await check(), "ok");
  assert.equal(calls, 3);
});
