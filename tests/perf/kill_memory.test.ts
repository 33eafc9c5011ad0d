// `kill --all` keeps only the UUIDs of what it lists (issue 12): the operation objects are kept
// for `--dry-run` rows and the prompt only. Fat operations make the difference plain: 5,000 of
// them carry ~100 MB of text, which a listing that kept them would hold until the end.
import assert from "node:assert/strict";
import { homeFor, lines, spawnContree, withEmulator } from "../helpers.ts";

const HAS_PROC = (() => {
  try {
    Deno.statSync("/proc/self/status");
    return true;
  } catch {
    return false;
  }
})();

/** Peak resident memory of a live process in MiB (0 once it is gone). */
function peakMiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

Deno.test({
  name: "kill --all: listed operations are not kept while the DELETEs run (fat operations)",
  ignore: !HAS_PROC,
  fn: () =>
    withEmulator(async (emu) => {
      const blob = "x".repeat(20_000);
      const uuids = emu.seed(5000, { status: "PENDING", blob }).map((o) => o.uuid);
      const child = spawnContree(["-L", "warning", "kill", "--all"], { home: homeFor(emu) });
      let peak = 0;
      let running = true;
      const poll = (async () => {
        for (let i = 0; running && i < 12_000; i++) { // bounded: at most ~60 s of samples
          peak = Math.max(peak, peakMiB(child.pid));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const out = await child.output().finally(() => {
        running = false;
      });
      await poll;
      const dec = new TextDecoder();
      assert.equal(out.code, 0, dec.decode(out.stderr).slice(0, 500));
      assert.deepEqual(lines(dec.decode(out.stderr)), []);
      assert.equal(dec.decode(out.stdout), "");
      assert.equal(emu.seen("DELETE").length, 5000);
      assert.ok(uuids.every((u) => emu.ops.get(u)?.status === "CANCELLED"));
      // Kept objects would add ~100 MB (5,000 × 20 KB): ~270 MiB measured, ~165 MiB without them.
      assert.ok(peak > 0 && peak < 215, `peak RSS ${peak.toFixed(0)} MiB`);
    }, { record: true }),
});
