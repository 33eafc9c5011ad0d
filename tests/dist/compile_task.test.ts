// `deno task compile` offline (issue 13): a clear one-line error and no empty dist/, never a
// half-built tree; DENORT_BIN builds this machine's target only.
import assert from "node:assert/strict";
import { compilePlan } from "../../scripts/compile.ts";
import { ROOT, run, TARGETS } from "./util.ts";

const host = Deno.build.target;

Deno.test("deno task compile with a DENORT_BIN that is not a file: one error line, no dist/", async () => {
  const dist = `${ROOT}/dist`;
  const existed = (() => {
    try {
      return Deno.statSync(dist).isDirectory;
    } catch {
      return false;
    }
  })();
  const out = await run("deno", ["task", "-q", "compile"], {
    cwd: ROOT,
    env: { DENORT_BIN: "/nonexistent/denort" },
  });
  assert.equal(out.code, 1, out.stderr);
  assert.equal(
    out.stderr.trim().split("\n").at(-1),
    "error: DENORT_BIN=/nonexistent/denort is not a file (a denort binary of this Deno)",
  );
  if (!existed) assert.throws(() => Deno.statSync(dist), Deno.errors.NotFound);
});

Deno.test("compile plan: offline names DENORT_BIN; online builds all; DENORT_BIN builds the host", async () => {
  const offline = await compilePlan(TARGETS, host, {}, () => Promise.resolve(false));
  assert.ok("error" in offline && offline.error.includes("DENORT_BIN"), JSON.stringify(offline));
  assert.ok("error" in offline && offline.error.includes("dl.deno.land"));
  const online = await compilePlan(TARGETS, host, {}, () => Promise.resolve(true));
  assert.deepEqual(online, { targets: [...TARGETS] });
  const withDenort = await compilePlan(TARGETS, host, { DENORT_BIN: Deno.execPath() }, () => {
    throw new Error("must not probe the network");
  });
  assert.ok("targets" in withDenort);
  assert.deepEqual(withDenort.targets, [host]);
});
