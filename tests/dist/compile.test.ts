// `deno compile` for this machine's target with exactly the flags of deno.json's
// `compile:<target>` task, then the binary's `--version` and a real `kill` against the emulator.
// `deno compile` downloads the `denort` runtime from dl.deno.land; when that is unreachable,
// point DENORT_BIN at a denort binary of this Deno version. Without it the test is reported as
// ignored, with the reason in its name (the release workflow compiles and runs every target).
import assert from "node:assert/strict";
import { EXE, hostCompileArgs, ROOT, run, smokeExecutable } from "./util.ts";

const denort = Deno.env.get("DENORT_BIN");
const target = Deno.build.target;

Deno.test({
  name: denort
    ? `compile: deno task compile:${target} flags → --version and kill (DENORT_BIN=${denort})`
    : `compile: SKIPPED: DENORT_BIN is not set, and deno compile cannot download denort here ` +
      `(the release workflow compiles and runs all six targets)`,
  ignore: !denort,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "contree-compile-" });
    try {
      const exe = `${dir}/contree${EXE}`;
      const out = await run(Deno.execPath(), hostCompileArgs(exe), {
        cwd: ROOT,
        env: { DENORT_BIN: denort! },
      });
      assert.equal(out.code, 0, out.stderr);
      await smokeExecutable(exe, [], { cwd: dir });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
