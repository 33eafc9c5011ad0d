// Help screens and usage errors, as a user sees them from the real main.ts.
import assert from "node:assert/strict";
import { lines, makeHome, runContree } from "../helpers.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));

Deno.test("kill --help is exactly the seed's text", async () => {
  const r = await runContree(["kill", "--help"], { home: makeHome() });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, fixture("kill_help.txt"));
  assert.equal(r.stderr, "");
});

Deno.test("op cancel --help matches the original (also via op kill -h and op k)", async () => {
  for (
    const args of [["op", "cancel", "--help"], ["operation", "kill", "-h"], ["op", "k", "--he"]]
  ) {
    const r = await runContree(args, { home: makeHome() });
    assert.equal(r.code, 0, args.join(" "));
    assert.equal(r.stdout, fixture("op_cancel_help.txt"), args.join(" "));
  }
});

Deno.test("contree --help and no arguments list the implemented commands on stdout", async () => {
  for (const args of [["--help"], []]) {
    const r = await runContree(args, { home: makeHome() });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: contree \[-h\] \[-v\] \[-p PROFILE\]/);
    assert.match(r.stdout, /\{ps,kill,show,operation,op,agent,man,completions\} \.\.\./);
    for (const cmd of ["ps", "kill", "show", "operation \\(op\\)", "agent \\(man\\)"]) {
      assert.match(r.stdout, new RegExp(`\\n    ${cmd} +\\S`));
    }
  }
});

Deno.test("-v prints the user agent with the program's and Deno's versions", async () => {
  const r = await runContree(["-v"], { home: makeHome() });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^contree-cli\/\d+\.\d+\.\d+ Deno\/\d+\.\d+\.\d+ \w+-\w+ \n$/);
});

Deno.test("usage errors: argparse wording on stderr, exit 2, nothing on stdout", async () => {
  const home = makeHome();
  const cases: [string[], string][] = [
    [["kill", "-x"], "contree: error: unrecognized arguments: -x"],
    [
      ["kill", "--all=yes"],
      "contree kill: error: argument -a/--all: ignored explicit argument 'yes'",
    ],
    [
      ["bogus"],
      "contree: error: argument command: invalid choice: 'bogus' (choose from 'ps', 'kill', 'show', 'operation', 'op', 'agent', 'man', 'completions')",
    ],
    [["op"], "contree operation: error: the following arguments are required: operation_action"],
    [
      ["op", "nope"],
      "contree operation: error: argument operation_action: invalid choice: 'nope' (choose from 'list', 'ls', 'show', 'sh', 'cancel', 'kill', 'k', 'wait', 'w')",
    ],
    [
      ["-L", "loud", "kill"],
      "contree: error: argument -L/--log-level: invalid choice: 'loud' (choose from 'debug', 'info', 'warning', 'error', 'critical')",
    ],
    [["-p"], "contree: error: argument -p/--profile: expected one argument"],
    [["kill", "-L", "debug"], "contree: error: unrecognized arguments: -L"],
    [["show"], "contree show: error: the following arguments are required: UUID_OR_REF"],
  ];
  for (const [args, message] of cases) {
    const r = await runContree(args, { home });
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    const out = lines(r.stderr);
    assert.match(out[0], /^usage: contree/, args.join(" "));
    assert.equal(out.at(-1), message);
  }
});

Deno.test("commands of the original that this program lacks say so in one line, exit 2", async () => {
  for (const cmd of ["run", "images", "session"]) {
    const r = await runContree([cmd, "x"], { home: makeHome() });
    assert.equal(r.code, 2);
    assert.deepEqual(lines(r.stderr), [
      `contree: error: '${cmd}' is a command of the original contree CLI that this program does not implement (available: ps, kill, show, operation, agent, completions)`,
    ]);
  }
});

Deno.test("the runner names no command: every mode and flag comes from the command table", () => {
  for (const file of ["run.ts", "execute.ts"]) {
    const code = Deno.readTextFileSync(new URL(`../../lib/cli/${file}`, import.meta.url))
      .replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, ""); // comments may name them
    for (const word of ["serve", "kill", "cancel", "UUID_OR_REF", "uuids", "invalid choice"]) {
      assert.ok(!code.includes(word), `lib/cli/${file} mentions ${word}`);
    }
  }
  const table = Deno.readTextFileSync(new URL("../../lib/cli/commands.ts", import.meta.url));
  // The server's flags are declared once, in the table (no hand-written help screen).
  assert.equal(table.match(/flags: \["--hostname"\]/g)?.length, 1);
  assert.throws(() => Deno.statSync(new URL("../../lib/serve/help.ts", import.meta.url)));
});
