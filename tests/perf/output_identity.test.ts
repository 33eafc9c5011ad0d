// The formatting fast paths (issue 12) change no byte: a varied listing (control characters,
// multi-line and wide cells, every timestamp spelling, daylight-saving changes, exact numbers)
// rendered in every format, compared with the output of the code before them (fixtures/*.gz,
// made by render_sample.ts), under three time zones. A second listing (render_edges.ts) walks
// the edges of the later fast paths: runs of timestamps within one minute, offsets that are not
// whole minutes, rows whose keys differ from the first, very long and repeated cells; its
// fixtures were made by the code before those (commit d9d8ade).
import assert from "node:assert/strict";

async function fixture(name: string): Promise<string> {
  const file = await Deno.open(new URL(`./fixtures/${name}.txt.gz`, import.meta.url));
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

/** Runs a render script under `tz` and compares its stdout with the fixture, line by line. */
async function compare(script: string, fixtureName: string, tz: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", new URL(script, import.meta.url).pathname],
    env: { TZ: tz, NO_COLOR: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const got = new TextDecoder().decode(out.stdout);
  const want = await fixture(fixtureName);
  if (got !== want) {
    const a = got.split("\n");
    const b = want.split("\n");
    const i = a.findIndex((line, k) => line !== b[k]);
    assert.fail(
      `line ${i + 1} differs:\n got: ${JSON.stringify(a[i])}\nwant: ${JSON.stringify(b[i])}`,
    );
  }
}

for (const tz of ["UTC", "America/New_York", "Asia/Kolkata"]) {
  Deno.test(`output: every format byte-identical to before the fast paths (TZ=${tz})`, () =>
    compare("./render_sample.ts", `render_${tz.replace("/", "_")}`, tz));
}

for (const tz of ["UTC", "America/New_York", "Asia/Kolkata", "Africa/Monrovia"]) {
  Deno.test(`output: fast-path edges byte-identical to before them (TZ=${tz})`, () =>
    compare("./render_edges.ts", `edges_${tz.replace("/", "_")}`, tz));
}
