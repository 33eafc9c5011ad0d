// Mutation check (`deno task mutants`): applies, one at a time, wrong changes that once went
// unnoticed by the suite to a copy of the project, runs the tests meant to catch each, and
// reports which mutants were killed. The copy lives in a temporary directory, removed at the end;
// the project itself is never touched.
//
//   deno task mutants            every mutant
//   deno task mutants 3 6        only mutants 3 and 6
//   deno task mutants --from DIR mutate a copy of DIR instead of this checkout
//
// Exit status: 0 when every mutant was killed, 1 when one survived (or could not be applied: the
// code it targets has changed, so its pattern needs updating), 2 when the tests fail on the
// unchanged code.
import { cpSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One replacement in a file. */
export interface Edit {
  find: RegExp;
  replace: string;
}

/** One wrong change and the tests that must notice it. */
export interface Mutant {
  id: number;
  /** What the change breaks, as a user would notice it. */
  what: string;
  /** Files to try, in order; the first one a variant matches is changed. */
  files: string[];
  /**
   * The change, in each spelling the code has had (it is being refactored): the first variant
   * whose every `find` matches a file is applied there.
   */
  variants: Edit[][];
  /** Test files and an optional `--filter` (a test name substring or `/regex/`). */
  tests: { file: string; filter?: string }[];
}

/** The survivors of the mutation run reported in issue 11, each with the tests that now kill it. */
export const MUTANTS: Mutant[] = [
  {
    id: 1,
    what: "the active listing no longer de-duplicates an operation listed under two statuses",
    files: ["lib/ops/distinct.ts", "lib/ops/active.ts"],
    variants: [
      [{ find: /if \(seen\.has\(uuid\)\) \{/, replace: "if (false) {" }],
      [{
        find: /return \[\.\.\.new Set\(perStatus\.flat\(\)\)\];/,
        replace: "return perStatus.flat();",
      }],
      [{
        find: /return perStatus\.flat\(\)\.filter\(\(op\) => !seen\.has\(op\.uuid\) && [^;\n]*\);/,
        replace: "return perStatus.flat();",
      }],
    ],
    tests: [
      { file: "tests/unit/active.test.ts", filter: "each operation once" },
      { file: "tests/cli/wait.test.ts", filter: "two statuses" },
      { file: "tests/serve/cancel_all.test.ts", filter: "two statuses" },
      { file: "tests/cli/kill.test.ts", filter: "two statuses" },
    ],
  },
  {
    id: 2,
    what: "the Ctrl-C safety net is gone: a second Ctrl-C no longer exits at once",
    files: ["lib/cli/execute.ts", "lib/cli/run.ts"],
    variants: [[{ find: /opts\.exit\?\.\(EXIT_INTERRUPTED\);/, replace: "" }]],
    tests: [{ file: "tests/hostile/forced_exit.test.ts" }],
  },
  {
    id: 3,
    what: "--serve bypasses the upstream semaphore (CONTREE_WEBHOOK_UPSTREAM)",
    files: ["lib/serve/limits/index.ts"],
    variants: [[
      {
        find: /semaphore\.run\(\(\) => client\.request\(method, path, query, opts\)\)/,
        replace: "client.request(method, path, query, opts)",
      },
      {
        find: /semaphore\.run\(\(\) => client\.getJson\(path, query, opts\)\)/,
        replace: "client.getJson(path, query, opts)",
      },
    ]],
    tests: [{ file: "tests/serve/cancel_all.test.ts", filter: "CONTREE_WEBHOOK_UPSTREAM" }],
  },
  {
    id: 4,
    what: "ps and show ignore Ctrl-C (their requests do not get the run's abort signal)",
    files: ["lib/cli/execute.ts", "lib/cli/run.ts"],
    variants: [[{
      find: /clientFor\(profile, io, [^;\n]*controller\.signal\)/,
      replace: "clientFor(profile, io, undefined)",
    }]],
    tests: [{ file: "tests/hostile/interrupt.test.ts", filter: "/slow GET of (ps|show)/" }],
  },
  {
    id: 5,
    what: "formatter.configure is ignored (show's rows keep the first row's column order)",
    files: ["lib/output/formatter.ts"],
    variants: [[{ find: /configure\((\w+)\)\s*\{[^}]*\}/, replace: "configure(_$1) {}" }]],
    tests: [
      { file: "tests/output/formatter.test.ts", filter: "configure" },
      { file: "tests/cli/show.test.ts", filter: "own field order" },
    ],
  },
  {
    id: 6,
    what: '--serve drops the kind of {"all": true, "kind": …} and would cancel every kind',
    files: ["lib/serve/deliveries/index.ts"],
    variants: [[{ find: /kind: r\.all\?\.kind,\s*/, replace: "" }]],
    tests: [{ file: "tests/serve/cancel_all.test.ts", filter: "kind" }],
  },
  {
    id: 7,
    what: "a 429 logs the Retry-After wait but retries after the normal (fast) back-off",
    files: ["lib/api/client.ts"],
    variants: [[{
      find: /await sleep\(wait \* 1000, /,
      replace: "await sleep((delay ?? 0) * 1000, ",
    }]],
    tests: [
      { file: "tests/cli/kill.test.ts", filter: "429" },
      { file: "tests/unit/client.test.ts", filter: "429" },
    ],
  },
  {
    id: 8,
    what: "kill stops at the first failed operation (404/409) instead of continuing",
    files: ["lib/commands/cancel.ts"],
    variants: [
      [{
        find: /stopAfter: \(o\) => Boolean\(o\.network\)/,
        replace: 'stopAfter: (o) => o.status !== "cancelled"',
      }],
      [{
        find: /shouldStop: \(done\) => done\.some\(\(o\) => o\.network\)/,
        replace: 'shouldStop: (done) => done.some((o) => o.status !== "cancelled")',
      }],
    ],
    tests: [{ file: "tests/cli/kill.test.ts", filter: "404 and 409" }],
  },
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** One line on stdout (the project lints `console` away). */
function say(line: string): void {
  const bytes = new TextEncoder().encode(`${line}\n`);
  for (let n = 0; n < bytes.length;) n += Deno.stdout.writeSync(bytes.subarray(n));
}

/** Runs `deno test` on one group in `dir`; true when it passed. */
async function passes(dir: string, t: { file: string; filter?: string }): Promise<boolean> {
  const args = ["test", "--allow-all", "--no-check", "--quiet", t.file];
  if (t.filter) args.push("--filter", t.filter);
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

/** Applies `m` to the copy in `dir`; returns the file and its original text, or a reason. */
function apply(dir: string, m: Mutant): { file: string; original: string } | string {
  for (const file of m.files) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`${dir}/${file}`);
    } catch {
      continue;
    }
    const edits = m.variants.find((v) => v.every((e) => e.find.test(text)));
    if (!edits) continue;
    let mutated = text;
    for (const e of edits) mutated = mutated.replace(e.find, e.replace);
    Deno.writeTextFileSync(`${dir}/${file}`, mutated);
    return { file, original: text };
  }
  return `pattern not found in ${m.files.join(", ")}: update the mutant`;
}

/**
 * Runs the mutation check: `args` are mutant ids (none: all) and `--from DIR`; `list` the
 * mutants to choose from. Returns the exit status described at the top of this file.
 */
export async function main(args: string[], list: Mutant[] = MUTANTS): Promise<number> {
  let from = ROOT;
  const only = new Set<number>();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--from") from = args[++i];
    else only.add(Number(args[i]));
  }
  const mutants = list.filter((m) => !only.size || only.has(m.id));
  const dir = Deno.makeTempDirSync({ prefix: "contree-mutants-" });
  const started = performance.now();
  try {
    cpSync(from, dir, {
      recursive: true,
      filter: (src) => !/[\\/](\.git|dist|node_modules)$/.test(src),
    });
    const groups = [...new Map(mutants.flatMap((m) => m.tests).map((t) => [JSON.stringify(t), t]))
      .values()];
    say(`Baseline: ${groups.length} test groups on the unchanged copy…`);
    const broken = [];
    for (const t of groups) if (!(await passes(dir, t))) broken.push(t);
    if (broken.length) {
      for (const t of broken) say(`  fails unchanged: ${t.file} ${t.filter ?? ""}`);
      return 2;
    }
    let survivors = 0;
    for (const m of mutants) {
      const t0 = performance.now();
      const applied = apply(dir, m);
      if (typeof applied === "string") {
        survivors++;
        say(`#${m.id} NOT APPLIED  ${m.what}\n    ${applied}`);
        continue;
      }
      const killers: string[] = [];
      try {
        for (const t of m.tests) {
          if (!(await passes(dir, t))) killers.push(`${t.file}${t.filter ? ` (${t.filter})` : ""}`);
        }
      } finally {
        Deno.writeTextFileSync(`${dir}/${applied.file}`, applied.original);
      }
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      if (!killers.length) survivors++;
      say(
        `#${m.id} ${
          killers.length ? "killed  " : "SURVIVED"
        } ${m.what} [${applied.file}, ${secs}s]`,
      );
      for (const k of killers) say(`    by ${k}`);
    }
    const total = ((performance.now() - started) / 1000).toFixed(0);
    say(
      `${mutants.length - survivors} killed, ${survivors} survived or not applied (${total}s)`,
    );
    return survivors ? 1 : 0;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
