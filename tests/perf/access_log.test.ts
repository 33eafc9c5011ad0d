// The --serve access log is written directly in batches (issue 12): one write for many lines,
// none lost at close or on exit, masked and escaped as every log line.
import assert from "node:assert/strict";
import { accessLogWriter } from "../../lib/log/access.ts";

Deno.test("access log: many records, one write, within the flush period", async () => {
  const writes: string[] = [];
  const { promise: written, resolve } = Promise.withResolvers<void>();
  const access = accessLogWriter({
    write: (t) => {
      writes.push(t);
      resolve();
    },
    flushMs: 20,
  });
  try {
    for (let i = 0; i < 500; i++) {
      access.log({ method: "POST", path: "/v1/cancel", status: 200, i });
    }
    assert.equal(writes.length, 0, "nothing written per record");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("not written within 10 s")), 10_000);
    });
    await Promise.race([written, late]).finally(() => clearTimeout(timer)); // the timer's flush
    assert.equal(writes.length, 1);
    const lines = writes[0].trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 500);
    assert.deepEqual(lines[499], { method: "POST", path: "/v1/cancel", status: 200, i: 499 });
  } finally {
    access.close();
  }
});

Deno.test("access log: close writes what is buffered; a full buffer is written at once", () => {
  const writes: string[] = [];
  const access = accessLogWriter({ write: (t) => writes.push(t), maxBuffered: 200 });
  access.log({ a: 1 });
  assert.equal(writes.length, 0);
  access.log({ pad: "x".repeat(300) });
  assert.equal(writes.length, 1, "over maxBuffered: written at once");
  access.log({ b: 2 });
  access.close();
  assert.deepEqual(writes.slice(1), ['{"b":2}\n']);
  access.log({ c: 3 }); // after close: written at once
  assert.deepEqual(writes.slice(2), ['{"c":3}\n']);
});

Deno.test("access log: secrets masked, control characters escaped, off below INFO", () => {
  const writes: string[] = [];
  const access = accessLogWriter({
    write: (t) => writes.push(t),
    mask: (t) => t.replaceAll("s3cret", "***"),
  });
  access.log({ path: "/x?token=s3cret", agent: "a\u0085b\u202ec" });
  access.close();
  assert.equal(writes.join(""), '{"path":"/x?token=***","agent":"a\\u0085b\\u202ec"}\n');
  assert.deepEqual(JSON.parse(writes[0]).agent, "a\u0085b\u202ec");
  const off: string[] = [];
  const quiet = accessLogWriter({ write: (t) => off.push(t), enabled: false });
  quiet.log({ a: 1 });
  quiet.close();
  assert.deepEqual(off, []);
});

Deno.test("access log: a buffered line is written when the process exits", async () => {
  const code = `
import { accessLogWriter } from ${
    JSON.stringify(new URL("../../lib/log/access.ts", import.meta.url).href)
  };
const access = accessLogWriter({ write: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)), flushMs: 60_000 });
access.log({ last: true });
Deno.exit(0);
`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(new TextDecoder().decode(out.stdout), '{"last":true}\n');
});
