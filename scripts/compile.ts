// `deno task compile`: checks that `deno compile` can get its runtime (denort) before building,
// so an offline machine gets one clear error instead of a half-built or empty dist/. Then runs
// every `compile:<target>` task of deno.json. With DENORT_BIN (a denort binary, which runs on one
// platform only) it builds this machine's target alone.

/** What to do: the targets to build, or the one-line reason why nothing can be built. */
export type Plan = { targets: string[]; note?: string } | { error: string };

/**
 * Decides what `deno task compile` builds. `targets` are the `compile:<target>` tasks of
 * deno.json; `host` is this machine's target; `reachable` probes dl.deno.land.
 *
 * @example
 * ```ts
 * const plan = await compilePlan(["x86_64-unknown-linux-gnu"], "x86_64-unknown-linux-gnu", {}, () =>
 *   Promise.resolve(false));
 * // { error: "deno compile downloads its runtime (denort) from dl.deno.land, ..." }
 * ```
 */
export async function compilePlan(
  targets: readonly string[],
  host: string,
  env: Readonly<Record<string, string | undefined>>,
  reachable: () => Promise<boolean>,
): Promise<Plan> {
  const denort = env.DENORT_BIN;
  if (denort) {
    let file = false;
    try {
      file = Deno.statSync(denort).isFile;
    } catch { /* reported below */ }
    if (!file) {
      return { error: `DENORT_BIN=${denort} is not a file (a denort binary of this Deno)` };
    }
    if (!targets.includes(host)) return { error: `no compile:${host} task for this machine` };
    return {
      targets: [host],
      note: `DENORT_BIN is set: building ${host} only (a denort binary runs on one platform)`,
    };
  }
  if (!(await reachable())) {
    return {
      error:
        "deno compile downloads its runtime (denort) from dl.deno.land, which is unreachable: " +
        `go online, or set DENORT_BIN to a denort binary of Deno ${Deno.version.deno} for this ` +
        `machine (builds dist/contree-${host} only)`,
    };
  }
  return { targets: [...targets] };
}

/** Whether dl.deno.land answers within 5 seconds. */
async function dlReachable(): Promise<boolean> {
  try {
    const res = await fetch("https://dl.deno.land/", {
      method: "HEAD",
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

const say = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));

if (import.meta.main) {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  const targets = Object.keys(config.tasks).filter((t) => t.startsWith("compile:"))
    .map((t) => t.slice("compile:".length));
  const plan = await compilePlan(targets, Deno.build.target, Deno.env.toObject(), dlReachable);
  if ("error" in plan) {
    say(`error: ${plan.error}`);
    Deno.exit(1);
  }
  if (plan.note) say(plan.note);
  const distExisted = (() => {
    try {
      return Deno.statSync("dist").isDirectory;
    } catch {
      return false;
    }
  })();
  const results = await Promise.all(
    plan.targets.map((t) =>
      new Deno.Command(Deno.execPath(), { args: ["task", `compile:${t}`] }).output()
        .then((o) => ({ t, ok: o.success }))
    ),
  );
  const failed = results.filter((r) => !r.ok).map((r) => r.t);
  if (failed.length) {
    // Never leave an empty dist/ behind that looks like a build.
    if (!distExisted) {
      try {
        if ([...Deno.readDirSync("dist")].length === 0) Deno.removeSync("dist");
      } catch { /* nothing was created */ }
    }
    say(`error: deno compile failed for ${failed.join(", ")} (see above)`);
    Deno.exit(1);
  }
  say(`compiled into dist/: ${plan.targets.map((t) => `contree-${t}`).join(", ")}`);
}
