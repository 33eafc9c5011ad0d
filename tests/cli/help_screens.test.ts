// Every help screen, each alias included, pinned to a fixture: any drift in wording, wrapping or
// option order fails here. The screens the original documents verbatim (kill, op cancel, op, show,
// op show, op wait) are also checked against the original's text in the spec.
import assert from "node:assert/strict";
import { makeHome, runContree } from "../helpers.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));

const SCREENS: [string, string[][]][] = [
  ["contree_help.txt", [["--help"], ["-h"]]],
  ["kill_help.txt", [["kill", "--help"], ["kill", "-h"]]],
  ["op_cancel_help.txt", [["op", "cancel", "-h"], ["op", "kill", "-h"], ["operation", "k", "-h"]]],
  ["ps_help.txt", [["ps", "--help"]]],
  ["show_help.txt", [["show", "--help"]]],
  ["op_help.txt", [["op", "--help"], ["operation", "-h"]]],
  ["op_list_help.txt", [["op", "list", "--help"], ["op", "ls", "-h"], ["operation", "ls", "-h"]]],
  ["op_show_help.txt", [["op", "show", "--help"], ["op", "sh", "-h"]]],
  ["op_wait_help.txt", [["op", "wait", "--help"], ["op", "w", "-h"]]],
  ["agent_help.txt", [["agent", "--help"], ["man", "-h"]]],
];

for (const [name, variants] of SCREENS) {
  Deno.test(`help screen ${name.replace("_help.txt", "")}: ${variants.length} spelling(s)`, async () => {
    const home = makeHome();
    try {
      const expected = fixture(name);
      for (const args of variants) {
        const r = await runContree(args, { home });
        assert.equal(r.code, 0, args.join(" "));
        assert.equal(r.stderr, "", args.join(" "));
        assert.equal(r.stdout.replaceAll(home, "<CONTREE_HOME>"), expected, args.join(" "));
      }
    } finally {
      Deno.removeSync(home, { recursive: true });
    }
  });
}

Deno.test("the screens the original documents verbatim match its text", () => {
  const spec = Deno.readTextFileSync(
    new URL("../../../shared/spec/contree-operations.md", import.meta.url),
  );
  const verbatim: [string, string][] = [
    ["kill --help", "kill_help.txt"],
    ["op cancel --help", "op_cancel_help.txt"],
    ["op --help", "op_help.txt"],
    ["show --help", "show_help.txt"],
    ["op show --help", "op_show_help.txt"],
    ["op wait --help", "op_wait_help.txt"],
  ];
  for (const [command, name] of verbatim) {
    const at = spec.indexOf(`\`contree ${command}\``);
    assert.ok(at >= 0, `spec has ${command}`);
    const block = /```\n([\s\S]*?)```/.exec(spec.slice(at))![1];
    const original = block.replaceAll("__main__.py", "contree");
    // kill --help may name the options this program adds; everything else is the original's.
    if (name === "kill_help.txt") {
      const strip = (t: string) =>
        t.split("\n").filter((l) => !/^usage:|^\s+\[/.test(l) && !/^\s+--(serve|dry-run)/.test(l));
      assert.deepEqual(strip(fixture(name)), strip(original), command);
    } else {
      assert.equal(fixture(name), original, command);
    }
  }
});
