// The formatting fast paths (issue 12) change no byte: a varied listing (control characters,
// multi-line and wide cells, every timestamp spelling, daylight-saving changes, exact numbers)
// rendered in every format, compared with the output of the code before them (fixtures/*.gz,
// made by render_sample.ts), under three time zones.
import assert from "node:assert/strict";

const SCRIPT = new URL("./render_sample.ts", import.meta.url).pathname;

async function fixture(name: string): Promise<string> {
  const file = await Deno.open(new URL(`./fixtures/${name}.txt.gz`, import.meta.url));
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

for (const tz of ["UTC", "America/New_York", "Asia/Kolkata"]) {
  Deno.test(`output: every format byte-identical to before the fast paths (TZ=${tz})`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", SCRIPT],
      env: { TZ: tz, NO_COLOR: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const got = new TextDecoder().decode(out.stdout);
    const want = await fixture(`render_${tz.replace("/", "_")}`);
    if (got !== want) {
      const a = got.split("\n");
      const b = want.split("\n");
      const i = a.findIndex((line, k) => line !== b[k]);
      assert.fail(
        `line ${i + 1} differs:\n got: ${JSON.stringify(a[i])}\nwant: ${JSON.stringify(b[i])}`,
      );
    }
  });
}
