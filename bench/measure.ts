// What every benchmark shares: spawn a process, time it, sample its peak memory, take medians,
// and print figures as ratios against a baseline measured in the same run.
import { baseEnv, MAIN, PERMISSIONS, V8_FLAGS } from "../tests/helpers.ts";

/** One measured process run. */
export interface Sample {
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
  /** Peak resident memory (VmHWM), in MiB; undefined where /proc is missing. */
  peakMiB?: number;
  /** Lines written to stdout (counted, not kept). */
  lines: number;
  /** The process's stderr, for error reports. */
  stderr: string;
}

/**
 * `deno run` with contree's V8 flags, for every process a benchmark times, baselines included:
 * Deno keeps one V8 code cache per module (Deno's own lazily loaded ones, such as fetch's,
 * included) and a different flag set rejects and replaces it, so processes run with different
 * flags would keep evicting each other's cache and each pay for it.
 */
export const DENO_RUN = ["run", "--quiet", `--v8-flags=${V8_FLAGS}`];

/** The `deno run` prefix of the real CLI, with the V8 flags and permissions the binary gets. */
export const CONTREE = [...DENO_RUN, ...PERMISSIONS, MAIN];

/** Peak resident memory of a live process in KiB (Linux), or undefined. */
function peakKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `deno args…` with the CLI's test environment (plus `env`), stdout and stderr piped; `program`
 * runs instead of deno when given (a compiled binary).
 */
export function denoCommand(
  args: string[],
  env: Record<string, string> = {},
  program: string = Deno.execPath(),
): Deno.Command {
  return new Deno.Command(program, {
    args,
    env: { ...baseEnv(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Runs `deno args…` (or `program args…`) once with the CLI's test environment (plus `env`),
 * counting stdout lines and sampling peak memory every few milliseconds. A non-zero exit throws
 * with the stderr.
 */
export async function sample(
  args: string[],
  env: Record<string, string> = {},
  program?: string,
): Promise<Sample> {
  const t0 = performance.now();
  const child = denoCommand(args, env, program).spawn();
  let peak = 0;
  let running = true;
  const poll = (async () => {
    while (running) {
      peak = Math.max(peak, peakKiB(child.pid) ?? 0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  let lines = 0;
  const count = (async () => {
    // indexOf, not a loop over bytes: the reader must not be what slows the child down.
    for await (const chunk of child.stdout) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    }
  })();
  const errText = new Response(child.stderr).text();
  const status = await child.status;
  const ms = performance.now() - t0;
  running = false;
  await Promise.all([poll, count]);
  const stderr = await errText;
  if (!status.success) {
    throw new Error(`${program ?? "deno"} ${args.join(" ")}: exit ${status.code}: ${stderr}`);
  }
  return { ms, peakMiB: peak ? peak / 1024 : undefined, lines, stderr };
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Measures several cases interleaved (case 1, case 2, …, then again from case 2) so that a noisy
 * moment of the machine hits them all alike; one untimed warm-up each. Returns the samples per case.
 */
export async function interleaved(
  cases: { name: string; run: () => Promise<Sample> }[],
  runs: number,
): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (const c of cases) await c.run();
  for (let i = 0; i < runs; i++) {
    // Each round starts with the next case: no case always runs right after the same other one.
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(i + k) % cases.length];
      out.get(c.name)!.push(await c.run());
    }
  }
  return out;
}

/** Writes one line to stdout. */
export function say(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
}

/** Formats `value / baseline` as `1.23×`, with a verdict against `target` when given. */
export function ratio(value: number, baseline: number, target?: number): string {
  const r = value / baseline;
  const verdict = target === undefined
    ? ""
    : r <= target
    ? `  (target ≤ ${target}×: met)`
    : `  (target ≤ ${target}×: NOT met)`;
  return `${r.toFixed(2)}×${verdict}`;
}

/**
 * The benchmark's own arguments: `deno task bench:x -- --runs 3` passes the `--` through, so a
 * leading one is dropped (both `deno task bench:x --runs 3` and the `--` form work).
 */
export function benchArgs(): string[] {
  return Deno.args[0] === "--" ? Deno.args.slice(1) : [...Deno.args];
}
