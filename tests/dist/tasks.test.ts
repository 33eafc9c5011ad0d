// The build surface stays consistent: deno.json's `start` and `compile:*` tasks, the test
// helpers and README agree on permissions; both workflows are valid YAML naming only real tasks.
import assert from "node:assert/strict";
import { parse } from "./yaml.ts";
import { PERMISSIONS, V8_FLAGS } from "../helpers.ts";
import { UNLISTED_MODULES } from "../../lib/cli/commands.ts";
import {
  permissionFlags,
  readmeInstallLine,
  readmeRunLine,
  readTasks,
  ROOT_URL,
  TARGETS,
  words,
} from "./util.ts";

const tasks = readTasks();

Deno.test("start, every compile:* task and tests/helpers.ts PERMISSIONS use the same permissions", () => {
  assert.deepEqual(permissionFlags(words(tasks.start.command!)), PERMISSIONS);
  for (const target of TARGETS) {
    const argv = words(tasks[`compile:${target}`]?.command ?? "");
    assert.deepEqual(argv.slice(0, 2), ["deno", "compile"], `compile:${target}`);
    assert.deepEqual(permissionFlags(argv), PERMISSIONS, `compile:${target}`);
  }
  assert.deepEqual(permissionFlags(readmeRunLine().flags), PERMISSIONS);
});

Deno.test("start, every compile:* task and README's install lines run with the same V8 flags", () => {
  const v8 = (argv: string[]) => argv.filter((a) => a.startsWith("--v8-flags"));
  const expected = [`--v8-flags=${V8_FLAGS}`];
  assert.deepEqual(v8(words(tasks.start.command!)), expected, "start");
  for (const target of TARGETS) {
    assert.deepEqual(v8(words(tasks[`compile:${target}`].command!)), expected, target);
  }
  assert.deepEqual(v8(readmeRunLine().flags), expected, "README deno run line");
  assert.deepEqual(v8(readmeInstallLine()), expected, "README deno install line");
  const alias = Deno.readTextFileSync(new URL("README.md", ROOT_URL)).split("\n")
    .find((l) => l.startsWith("alias contree="));
  assert.ok(alias?.includes(` --v8-flags=${V8_FLAGS} `), `README alias: ${alias}`);
});

Deno.test("PERMISSIONS are the least the program needs: no sys, run, ffi or all", () => {
  assert.ok(
    !PERMISSIONS.some((p) => /^--allow-(sys|run|ffi|all)|^-A$/.test(p)),
    String(PERMISSIONS),
  );
  assert.ok(PERMISSIONS.includes("--no-prompt"));
});

Deno.test("compile covers all six targets into dist/contree-<target>[.exe] with a frozen lockfile", () => {
  // `compile` runs scripts/compile.ts: it checks denort can be had, then every compile:* task.
  assert.match(tasks.compile.command ?? "", /scripts\/compile\.ts$/);
  assert.deepEqual(
    Object.keys(tasks).filter((t) => t.startsWith("compile:")).sort(),
    TARGETS.map((t) => `compile:${t}`).sort(),
  );
  for (const target of TARGETS) {
    const argv = words(tasks[`compile:${target}`].command!);
    const exe = target.includes("windows") ? ".exe" : "";
    assert.ok(argv.includes("--frozen"), `compile:${target} lacks --frozen`);
    assert.equal(argv[argv.indexOf("--target") + 1], target);
    assert.equal(argv[argv.indexOf("--output") + 1], `dist/contree-${target}${exe}`);
    assert.equal(argv.at(-1), "main.ts");
  }
});

Deno.test("every module loaded by a computed specifier is listed, exists and is compiled in", () => {
  // Each `import(new URL("…", import.meta.url).href)` in lib/ names a module Deno cannot see
  // ahead, which deno compile embeds only when told to with --include.
  const computed: string[] = [];
  const walk = (dir: URL) => {
    for (const e of Deno.readDirSync(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) walk(url);
      else if (e.name.endsWith(".ts")) {
        const text = Deno.readTextFileSync(url);
        for (const m of text.matchAll(/import\(\s*new URL\(\s*"([^"]+)",\s*import\.meta\.url\)/g)) {
          computed.push(new URL(m[1], url).href.replace(ROOT_URL.href, ""));
        }
      }
    }
  };
  walk(new URL("lib/", ROOT_URL));
  assert.ok(computed.length > 0, "no computed import found: the scan is broken");
  assert.deepEqual([...new Set(computed)].sort(), [...UNLISTED_MODULES].sort());
  for (const path of UNLISTED_MODULES) {
    assert.ok(Deno.statSync(new URL(path, ROOT_URL)).isFile, path);
    for (const target of TARGETS) {
      const argv = words(tasks[`compile:${target}`].command!);
      const included = argv.flatMap((w, i) => w === "--include" ? [argv[i + 1]] : []);
      assert.ok(included.includes(path), `compile:${target} lacks --include ${path}`);
    }
  }
});

/** Every string value in a parsed YAML document, depth first. */
function strings(node: unknown): string[] {
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === "object") return Object.values(node).flatMap(strings);
  return [];
}

/** The `deno task NAME` invocations in a job's steps, `${{ matrix.X }}` expanded per include. */
function taskNames(job: Record<string, unknown>): string[] {
  const matrix = (job.strategy as { matrix?: Record<string, unknown> } | undefined)?.matrix ?? {};
  const rows = (matrix.include as Record<string, string>[] | undefined) ?? [{}];
  const names: string[] = [];
  for (const text of strings(job.steps)) {
    if (!text.includes("deno task")) continue;
    // A step without matrix expressions yields the same names for every row: count it once.
    const expanded = new Set(
      rows.map((row) =>
        text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k) => row[k] ?? `<${k}>`)
      ),
    );
    for (const t of expanded) {
      for (const m of t.matchAll(/deno task ([^\s;&|]+)/g)) names.push(m[1]);
    }
  }
  return names;
}

for (const file of ["ci.yml", "release.yml"]) {
  Deno.test(`.github/workflows/${file} is valid YAML and names only real deno tasks`, () => {
    const text = Deno.readTextFileSync(new URL(`.github/workflows/${file}`, ROOT_URL));
    const doc = parse(text, { strict: true, uniqueKeys: true });
    assert.ok(doc.on, "no trigger");
    assert.ok(doc.jobs && Object.keys(doc.jobs).length > 0, "no jobs");
    const used: string[] = [];
    for (const [name, job] of Object.entries(doc.jobs as Record<string, Record<string, unknown>>)) {
      assert.ok(job["runs-on"], `${name}: no runs-on`);
      assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${name}: no steps`);
      for (const step of job.steps as Record<string, unknown>[]) {
        assert.ok(step.uses || step.run, `${name}: a step with neither uses nor run`);
        if (String(step.uses).startsWith("denoland/setup-deno")) {
          assert.equal(step.uses, "denoland/setup-deno@v2");
          assert.equal((step.with as Record<string, string>)["deno-version"], "v2.x");
        }
      }
      used.push(...taskNames(job));
    }
    assert.ok(used.length > 0, "runs no deno task");
    for (const task of used) assert.ok(tasks[task], `deno task ${task} is not in deno.json`);
  });
}

Deno.test("ci.yml runs check and test on Linux, macOS and Windows", () => {
  const doc = parse(Deno.readTextFileSync(new URL(".github/workflows/ci.yml", ROOT_URL)));
  const job = doc.jobs.check;
  assert.deepEqual(job.strategy.matrix.os, ["ubuntu-latest", "macos-latest", "windows-latest"]);
  assert.deepEqual(taskNames(job), ["check", "test"]);
});

Deno.test("release.yml: tag check, every target compiled and run, SHA256SUMS attached", () => {
  const text = Deno.readTextFileSync(new URL(".github/workflows/release.yml", ROOT_URL));
  const doc = parse(text);
  assert.deepEqual(doc.on.push.tags, ["v*"]);
  assert.match(
    strings(doc.jobs.version.steps).join("\n"),
    /lib\/version\.ts[\s\S]*GITHUB_REF_NAME/,
  );
  const build = doc.jobs.build;
  assert.equal(build.needs, "version");
  assert.deepEqual(
    build.strategy.matrix.include.map((r: { target: string }) => r.target).sort(),
    [...TARGETS].sort(),
  );
  assert.deepEqual(taskNames(build).sort(), TARGETS.map((t) => `compile:${t}`).sort());
  const buildText = strings(build.steps).join("\n");
  assert.match(buildText, /--version/);
  assert.match(buildText, /tests\/dist\/util\.ts/); // the emulator `kill` smoke run
  const publish = strings(doc.jobs.publish.steps).join("\n");
  assert.match(publish, /sha256sum contree-\* > SHA256SUMS/);
  assert.match(publish, /dist\/SHA256SUMS/);
});

Deno.test("test runs the JSDoc examples; check lints JSDoc and forbids import circles; CI runs both", () => {
  assert.ok(words(tasks.test.command!).includes("--doc"), tasks.test.command);
  const check = tasks.check.command!;
  for (const step of ["deno fmt --check", "deno lint", "deno check", "deno doc --lint mod.ts"]) {
    assert.ok(check.includes(step), `check lacks ${step}`);
  }
  assert.match(check, /deno run --allow-read scripts\/check_cycles\.ts$/);
  const ci = Deno.readTextFileSync(new URL(".ci/run", ROOT_URL));
  const at = (text: string) => ci.indexOf(text);
  assert.ok(at("deno task check") > 0 && at("deno task check") < at("deno task test"), ci);
  assert.match(ci, /echo "\$\{passed\} passed, \$\{failed\} failed"\nexit "\$status"\n$/);
});

Deno.test("deno.lock pins exactly the npm packages the code imports (no stale entries)", async () => {
  const git = await new Deno.Command("git", {
    args: ["ls-files", "*.ts"],
    cwd: new URL(".", ROOT_URL),
    stdout: "piped",
  }).output();
  const files = new TextDecoder().decode(git.stdout).split("\n").filter(Boolean);
  assert.ok(files.includes("main.ts"), "git ls-files listed the project");
  const imported = new Set<string>();
  for (const file of files) {
    const text = Deno.readTextFileSync(new URL(file, ROOT_URL));
    // `npm:name@version` or `npm:@scope/name@version`, a subpath (`/body-limit`) dropped.
    for (const m of text.matchAll(/["']npm:((?:@[\w.-]+\/)?[\w.-]+@[\w.+-]+)/g)) imported.add(m[1]);
  }
  const lock = JSON.parse(Deno.readTextFileSync(new URL("deno.lock", ROOT_URL)));
  const locked = Object.keys(lock.specifiers ?? {}).map((s) => s.replace(/^npm:/, ""));
  assert.deepEqual([...locked].sort(), [...imported].sort());
});
