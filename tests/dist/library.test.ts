// mod.ts as a user imports it: a separate program, outside this repository, that imports the
// library by URL (file:// and http://) and cancels an operation on the emulator.
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.ts";
import { ROOT_URL, run, serveDirectory } from "./util.ts";

/** A user's program: cancel the operations named on the command line, print the report. */
function userProgram(modUrl: string): string {
  return `import { cancelOperations, createClient, VERSION } from "${modUrl}";

const [url, token, ...uuids] = Deno.args;
const client = createClient({ url, auth: "jwt", token, retryDelays: [] });
const report = await cancelOperations(client, uuids);
console.log(JSON.stringify({ version: VERSION, ...report }));
`;
}

async function cancelViaLibrary(modUrl: string, extraFlags: string[]): Promise<void> {
  const emu = await startEmulator();
  const dir = Deno.makeTempDirSync({ prefix: "contree-lib-user-" });
  try {
    const [op] = emu.seed(1, { status: "EXECUTING" });
    const missing = crypto.randomUUID();
    Deno.writeTextFileSync(`${dir}/cancel.ts`, userProgram(modUrl));
    const host = new URL(emu.url).host;
    // The library needs nothing but the network (and only to the API): no env, read or write.
    const r = await run(Deno.execPath(), [
      "run",
      "--quiet",
      "--no-config",
      "--no-prompt",
      `--allow-net=${host}`,
      ...extraFlags,
      `${dir}/cancel.ts`,
      emu.url,
      emu.token,
      op.uuid,
      missing,
    ], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const report = JSON.parse(r.stdout);
    assert.match(report.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(report.outcomes.map((o: { uuid: string; status: string }) => o.status), [
      "cancelled",
      "not_found",
    ]);
    assert.deepEqual(report.notAttempted, []);
    assert.deepEqual(emu.seen("DELETE").map((q) => q.path), [
      `/v1/operations/${op.uuid}`,
      `/v1/operations/${missing}`,
    ]);
    assert.equal(emu.ops.get(op.uuid)!.status, "CANCELLED");
  } finally {
    await emu.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("library: a program importing file:///…/mod.ts cancels an operation", async () => {
  await cancelViaLibrary(new URL("mod.ts", ROOT_URL).href, []);
});

Deno.test("library: a program importing http://…/mod.ts cancels an operation", async () => {
  const server = serveDirectory();
  try {
    await cancelViaLibrary(`${server.url}mod.ts`, [`--allow-import=${new URL(server.url).host}`]);
  } finally {
    await server.close();
  }
});
