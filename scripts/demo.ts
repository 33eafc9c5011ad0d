// `deno task demo`: contree against the bundled ConTree API emulator, end to end, on 127.0.0.1.
import { startEmulator } from "../tests/emulator/server.ts";
import { baseEnv, homeFor, MAIN, RUNTIME_FLAGS } from "../tests/helpers.ts";

const say = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

const emu = await startEmulator();
const pending = emu.seed(3, { status: "PENDING" });
emu.seed(2, { status: "EXECUTING" });
const [finished] = emu.seed(2, { status: "SUCCESS" });
// Two old image imports, so the filters of `kill --all` have something to choose.
const daysAgo = (d: number) => new Date(Date.now() - d * 86400_000).toISOString();
emu.seed(2, { status: "EXECUTING", kind: "image_import", created_at: daysAgo(2) });
const home = homeFor(emu);

async function contree(...args: string[]): Promise<void> {
  say(`\n$ contree ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUNTIME_FLAGS, MAIN, ...args],
    env: { ...baseEnv(home), NO_COLOR: "" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  say(`(exit ${code})`);
}

try {
  say(`ConTree API emulator on ${emu.url} with ${emu.ops.size} operations; profile in ${home}`);
  await contree("ps", "-a");
  await contree("kill", pending[0].uuid, finished.uuid);
  await contree("kill", "--all", "-k", "image_import", "--older-than", "1d", "--dry-run");
  await contree("-f", "json", "kill", "--all", "-k", "image_import", "--older-than", "1d");
  await contree("kill", "--all");
  await contree("ps", "-a");
  const deletes = emu.seen("DELETE").length;
  say(`\nThe emulator saw ${emu.requests.length} requests, ${deletes} of them DELETEs.`);
} finally {
  await emu.close();
}
