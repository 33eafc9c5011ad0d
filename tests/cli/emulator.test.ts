// The bundled emulator as a program (`deno task emulator`, issue 13): --help, flags, a one-line
// error for a busy port, realistic data (kinds, ages) that contree's filters can be shown on.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { lines, runContree, tempHome } from "../helpers.ts";

const EMULATOR = fileURLToPath(new URL("../emulator/main.ts", import.meta.url));

function emulator(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", "--allow-env", EMULATOR, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function output(args: string[]) {
  const out = await emulator(args).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("emulator --help documents every flag, exit 0", async () => {
  const r = await output(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (
    const flag of [
      "--port",
      "--seed",
      "--prefix",
      "--token",
      "--kinds",
      "--max-age",
      "--latency",
      "auth.ini",
    ]
  ) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

Deno.test("emulator: a busy port and a bad flag are one-line errors, no stack trace", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const busy = await output(["--port", String(port)]);
  assert.equal(busy.code, 1);
  assert.deepEqual(lines(busy.stderr), [
    `emulator: error: port ${port} on 127.0.0.1 is already in use (pick another with --port, or 0 for any free one)`,
  ]);
  const bad = await output(["--bogus"]);
  assert.equal(bad.code, 2);
  assert.equal(lines(bad.stderr).length, 1, bad.stderr);
  assert.match(bad.stderr, /^emulator: error: .*--bogus.*\n$/);
  const badAge = await output(["--max-age", "soon"]);
  assert.equal(badAge.code, 2);
  assert.match(badAge.stderr, /^emulator: error: --max-age: invalid duration: 'soon'/);
});

Deno.test("emulator --kinds --max-age: mixed kinds and ages, so ps and kill filters show", async () => {
  const child = emulator([
    "--port",
    "0",
    "--seed",
    "4",
    "--kinds",
    "instance,image_import",
    "--max-age",
    "3d",
  ]);
  using home = tempHome();
  try {
    // The first stderr line names the URL and the token.
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let head = "";
    while (!head.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      head += value;
    }
    reader.releaseLock();
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(head)?.[1];
    assert.ok(url, head);
    const env = { CONTREE_URL: url, CONTREE_TOKEN: "test-token" };
    const all = await runContree(["-f", "json", "ps", "-a"], { home: home.path, env });
    assert.equal(all.code, 0, all.stderr);
    const ops = lines(all.stdout).map((l) => JSON.parse(l));
    assert.equal(ops.length, 16);
    assert.deepEqual([...new Set(ops.map((o) => o.kind))].sort(), ["image_import", "instance"]);
    const ages = ops.map((o) => Date.now() - Date.parse(o.created_at));
    assert.ok(Math.max(...ages) > 86400_000 && Math.max(...ages) <= 3 * 86400_000 + 60_000);
    assert.ok(Math.min(...ages) < 86400_000);
    const dry = await runContree(
      ["-f", "json", "kill", "--all", "-k", "image_import", "--older-than", "1d", "--dry-run"],
      { home: home.path, env },
    );
    assert.equal(dry.code, 0, dry.stderr);
    const rows = lines(dry.stdout).map((l) => JSON.parse(l));
    assert.ok(rows.length > 0 && rows.length < 12, dry.stdout);
    assert.ok(rows.every((r) => r.kind === "image_import"));
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel().catch(() => {});
  }
});

Deno.test("emulator --latency: answers after the delay, and stderr holds only its own banner (no Deno warning)", async () => {
  const child = emulator(["--port", "0", "--seed", "1", "--latency", "30"]);
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  try {
    while (lines(stderr).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    assert.ok(url, stderr);
    const res = await fetch(`${url}/v1/operations`, {
      headers: { authorization: "Bearer test-token" },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).length, 4);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel();
  }
  // Whatever the emulator wrote while answering (Deno prints its warnings then) and on exit.
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  assert.equal(lines(stderr).length, 2, stderr);
  assert.match(lines(stderr)[0], /^ConTree API emulator on http:\/\/127\.0\.0\.1:\d+ /);
  assert.match(lines(stderr)[1], /^Point contree at it: /);
});
