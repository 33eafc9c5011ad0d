// The emulator for bench/serve.ts, in its own process: no request log (flat memory), `--ops N`
// PENDING operations whose UUIDs are written to `--uuids FILE`; prints `READY <url>` on stdout.
import { parseArgs } from "node:util";
import { startEmulator } from "../tests/emulator/server.ts";

const { values } = parseArgs({
  options: { ops: { type: "string", default: "1000" }, uuids: { type: "string" } },
});
const emu = await startEmulator({ record: false });
const ops = emu.seed(Number(values.ops), { status: "PENDING", metadata: null });
if (values.uuids) Deno.writeTextFileSync(values.uuids, ops.map((o) => o.uuid).join("\n") + "\n");
Deno.stdout.writeSync(new TextEncoder().encode(`READY ${emu.url}\n`));
