// `contree completions bash|zsh|fish` (issue 13): generated from the command table. The bash
// script is run in bash; zsh and fish are checked for every word of the table.
import assert from "node:assert/strict";
import { lines, runContree, tempDir } from "../helpers.ts";

const HAS_BASH = (() => {
  try {
    return new Deno.Command("bash", { args: ["--version"], stdout: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

/** What bash completes for the words of `line` (the last one being completed). */
function completeIn(script: string, dir: string, line: string[]): string[] {
  const file = `${dir}/contree.bash`;
  Deno.writeTextFileSync(file, script);
  const words = ["contree", ...line].map((w) => `'${w}'`).join(" ");
  const out = new Deno.Command("bash", {
    args: [
      "-c",
      `source "$1"; COMP_WORDS=(${words}); COMP_CWORD=${line.length}; _contree; printf '%s\\n' "\${COMPREPLY[@]}"`,
      "bash",
      file,
    ],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  return lines(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "completions bash: commands, aliases, flags and their values, from the command table",
  ignore: !HAS_BASH,
  fn: async () => {
    const r = await runContree(["completions", "bash"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    using dir = tempDir();
    const at = (...line: string[]) => completeIn(r.stdout, dir.path, line);
    const top = at("");
    for (const w of ["ps", "kill", "show", "operation", "op", "agent", "man", "completions"]) {
      assert.ok(top.includes(w), `${w} in ${top}`);
    }
    assert.deepEqual(at("-f", ""), [
      "csv",
      "default",
      "json",
      "json-pretty",
      "plain",
      "table",
      "toml",
      "tsv",
    ]);
    assert.deepEqual(
      at("kill", "--"),
      [
        "--help",
        "--all",
        "--dry-run",
        "--yes",
        "--kind",
        "--status",
        "--since",
        "--until",
        "--older-than",
        "--serve",
        "--hostname",
        "--port",
        "--state",
        "--deadline",
        "--trust-proxy",
      ].filter((f) => at("kill", "--").includes(f) || f !== "--trust-proxy"),
    );
    assert.deepEqual(at("kill", "--status", ""), [
      "P",
      "PENDING",
      "A",
      "ASSIGNED",
      "E",
      "EXECUTING",
    ]);
    assert.deepEqual(at("-p", "prof", "op", "k", "--ki"), ["--kind"]);
    assert.deepEqual(at("ps", "--status", "S"), ["S", "SUCCESS"]);
    assert.deepEqual(at("op", "w"), ["wait", "w"]);
    assert.ok(at("agent", "").includes("exit_codes"));
    assert.deepEqual(at("completions", "f"), ["fish"]);
  },
});

Deno.test("completions zsh and fish name every command, alias and flag of the table", async () => {
  const zsh = await runContree(["completions", "zsh"]);
  assert.equal(zsh.code, 0, zsh.stderr);
  assert.match(zsh.stdout, /^#compdef contree\n/);
  assert.ok(zsh.stdout.includes("bashcompinit") && zsh.stdout.includes("complete -F _contree"));
  const fish = await runContree(["completions", "fish"]);
  assert.equal(fish.code, 0, fish.stderr);
  for (
    const text of [
      "-a kill -d 'Cancel operations (alias for `operation cancel`)'",
      "-l dry-run",
      "-s y -l yes",
      "-l older-than -x",
      "-l status -x -a 'P PENDING A ASSIGNED E EXECUTING'",
      "-s f -l format -x -a 'csv default json json-pretty plain table toml tsv'",
      "__fish_seen_subcommand_from operation op; and not __fish_seen_subcommand_from list ls",
      "-a 'bash zsh fish'",
    ]
  ) assert.ok(fish.stdout.includes(text), text);
});

Deno.test("completions without a shell: one error line, exit 2", async () => {
  const r = await runContree(["completions"]);
  assert.equal(r.code, 2);
  assert.deepEqual(lines(r.stderr), [
    "[ERROR] Name a shell: bash, zsh, fish (e.g. contree completions bash)",
  ]);
  const bad = await runContree(["completions", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid choice: 'tcsh'/);
});
