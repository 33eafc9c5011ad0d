import assert from "node:assert/strict";
import { parseCancelRequest } from "./index.ts";

const parse = (v: unknown, max?: number) =>
  parseCancelRequest(new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v)), max);
const A = "019e3fb6-e2d8-7350-a8f9-8b2b5ebfda7f";

Deno.test("payload: UUIDs in any accepted form become canonical and unique", () => {
  assert.deepEqual(parse({ uuids: [A, A.toUpperCase(), `{${A.replaceAll("-", "")}}`] }), {
    ok: true,
    request: { uuids: [A] },
  });
});

Deno.test("payload: all, with and without kind", () => {
  assert.deepEqual(parse({ all: true }), { ok: true, request: { all: true } });
  assert.deepEqual(parse({ all: true, kind: "image_import" }), {
    ok: true,
    request: { all: true, kind: "image_import" },
  });
});

Deno.test("payload: history references and non-UUIDs are named in the 400", () => {
  const r = parse({ uuids: [A, "HEAD", "@1", "7", "nope", 12] });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.error, "invalid_uuids");
  assert.deepEqual(r.error.references, ["HEAD", "@1", "7"]);
  assert.deepEqual(r.error.invalid, ["nope", "12"]);
  assert.match(
    r.error.message,
    /history references are not accepted .*HEAD, @1, 7; not UUIDs: nope, 12/,
  );
});

Deno.test("payload: shape errors", () => {
  const cases: [unknown, string, RegExp][] = [
    ["{", "invalid_json", /not valid/],
    [[A], "invalid_request", /JSON object/],
    [{ uuids: A }, "invalid_request", /array/],
    [{ uuids: [] }, "invalid_request", /empty/],
    [{ all: "yes" }, "invalid_request", /must be true/],
    [{ all: true, uuids: [A] }, "invalid_request", /not both/],
    [{ all: true, kind: "vm" }, "invalid_request", /kind/],
    [{ uuids: [A], kind: "instance" }, "invalid_request", /only accepted with/],
    [{ uuids: [A], extra: 1 }, "invalid_request", /unknown field\(s\): extra/],
    [{ uuids: [A, A, A] }, "too_many_uuids", /at most 2 UUIDs per request, got 3/],
  ];
  for (const [body, error, message] of cases) {
    const r = parse(body, 2);
    assert.equal(r.ok, false, JSON.stringify(body));
    if (!r.ok) {
      assert.equal(r.error.error, error, JSON.stringify(body));
      assert.match(r.error.message, message);
    }
  }
  const notUtf8 = parseCancelRequest(new Uint8Array([0x22, 0xff, 0x22]));
  assert.equal(notUtf8.ok, false);
  if (!notUtf8.ok) assert.equal(notUtf8.error.error, "invalid_json");
});
