import { ArgError, type CommandSpec, type OptionSpec, type PositionalSpec } from "./spec.ts";

/** Where parsing stopped and why. */
export type ParseResult =
  | {
    kind: "run";
    /** The chain of commands from the root: `[root, op, cancel]`. */
    path: CommandSpec[];
    /** Values per command in `path`, same indexes. */
    values: Record<string, unknown>[];
  }
  /**
   * An immediate flag (`-h`, `-v`) was seen: show help or the version and stop. `command` is the
   * one whose help to show: a mode (`kill --serve`) when its switch is among the command's args.
   */
  | { kind: "immediate"; option: OptionSpec; command: CommandSpec }
  /** A usage error; `bare` errors are shown without the usage block. */
  | { kind: "error"; command: CommandSpec; message: string; bare?: boolean };

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/** The `-h/--help` every command has, as argparse adds it. */
export const HELP_OPTION: OptionSpec = {
  flags: ["-h", "--help"],
  dest: "help",
  help: "show this help message and exit",
  immediate: true,
};

/** The name a flag or positional has in error messages: `-t/--timeout`, `UUID_OR_REF`. */
export function argName(a: OptionSpec | PositionalSpec): string {
  if ("flags" in a) return a.flags.join("/");
  return a.metavar ?? a.dest;
}

/** A command's own options, then those of its modes (hidden from its help, accepted here). */
function allOptions(spec: CommandSpec): readonly OptionSpec[] {
  if (!spec.modes) return spec.options;
  return [...spec.options, ...spec.modes.flatMap((m) => m.options)];
}

/** The mode whose switch is set in `values`, if any. */
function chosenMode(spec: CommandSpec, values: Record<string, unknown>): CommandSpec | undefined {
  return spec.modes?.find((m) => m.modeSwitch !== undefined && values[m.modeSwitch] === true);
}

/** The mode whose switch flag is among `args` (before any `--`), for `kill --help --serve`. */
function modeInArgs(spec: CommandSpec, args: readonly string[]): CommandSpec | undefined {
  const end = args.indexOf("--");
  const own = end < 0 ? args : args.slice(0, end);
  return spec.modes?.find((m) =>
    m.options.some((o) => o.dest === m.modeSwitch && o.flags.some((f) => own.includes(f)))
  );
}

function defaults(spec: CommandSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of allOptions(spec)) out[o.dest] = o.default ?? (o.metavar ? undefined : false);
  for (const p of spec.positionals) out[p.dest] = p.default ?? (p.nargs === "?" ? undefined : []);
  return out;
}

function findOption(
  spec: CommandSpec,
  flag: string,
): OptionSpec | { ambiguous: string[] } | undefined {
  const options = [HELP_OPTION, ...allOptions(spec)];
  const exact = options.find((o) => o.flags.includes(flag));
  if (exact || !flag.startsWith("--")) return exact;
  // argparse accepts unique prefixes of long options (`--al` for `--all`).
  const hits = options.flatMap((o) =>
    o.flags.filter((f) => f.startsWith("--") && f.startsWith(flag)).map((f) => ({ o, f }))
  );
  if (hits.length === 1) return hits[0].o;
  if (hits.length > 1) return { ambiguous: hits.map((h) => h.f) };
  return undefined;
}

function convert(opt: OptionSpec | PositionalSpec, raw: string): unknown {
  if (opt.choices && !opt.choices.includes(raw)) {
    throw new ArgError(
      `argument ${argName(opt)}: invalid choice: '${raw}' (choose from ${
        opt.choices.map((c) => `'${c}'`).join(", ")
      })`,
    );
  }
  if ("parse" in opt && opt.parse) {
    try {
      return opt.parse(raw);
    } catch (e) {
      // RangeError: a value converter outside the CLI (a date out of range) refusing the text.
      if (e instanceof ArgError || e instanceof RangeError) {
        throw new ArgError(`argument ${argName(opt)}: ${e.message}`);
      }
      throw e;
    }
  }
  return raw;
}

/**
 * Parses `argv` against the command table the way Python's argparse does for the original CLI:
 * flags and positionals may interleave, `--` ends flags, long flags accept `=value` and unique
 * prefixes, short switches cluster (`-qa`), `-1` is a positional, `-h` shows help. Flags are
 * only recognised by the command they belong to (global flags go before the command).
 * Unknown flags are reported by the root as `unrecognized arguments`, as argparse does.
 */
export function parseArgv(root: CommandSpec, argv: string[]): ParseResult {
  const path: CommandSpec[] = [];
  const values: Record<string, unknown>[] = [];
  const extras: string[] = [];
  let spec = root;
  let args = argv;
  try {
    for (;;) {
      path.push(spec);
      const v = defaults(spec);
      values.push(v);
      const positionals: string[] = [];
      let sub: CommandSpec | undefined;
      let i = 0;
      let onlyPositionals = false;
      while (i < args.length) {
        const arg = args[i++];
        if (onlyPositionals || arg === "-" || !arg.startsWith("-") || NEGATIVE_NUMBER.test(arg)) {
          if (spec.subcommands) {
            sub = spec.subcommands.commands.find((c) => c.name === arg || c.aliases?.includes(arg));
            if (!sub) {
              const bare = spec.subcommands.unknown?.(arg);
              if (bare !== undefined) {
                return { kind: "error", command: spec, message: bare, bare: true };
              }
              const names = spec.subcommands.commands.flatMap((c) => [c.name, ...c.aliases ?? []]);
              throw new ArgError(
                `argument ${spec.subcommands.dest}: invalid choice: '${arg}' (choose from ${
                  names.map((n) => `'${n}'`).join(", ")
                })`,
              );
            }
            break;
          }
          positionals.push(arg);
          continue;
        }
        if (arg === "--") {
          onlyPositionals = true;
          continue;
        }
        const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
        const flag = eq > 0 ? arg.slice(0, eq) : arg.startsWith("--") ? arg : arg.slice(0, 2);
        const attached = eq > 0
          ? arg.slice(eq + 1)
          : arg.startsWith("--")
          ? undefined
          : arg.slice(2) ||
            undefined;
        const found = findOption(spec, flag);
        if (found && "ambiguous" in found) {
          throw new ArgError(`ambiguous option: ${flag} could match ${found.ambiguous.join(", ")}`);
        }
        if (!found) {
          extras.push(arg);
          continue;
        }
        if (found.immediate) {
          const shown = found.dest === "help"
            ? chosenMode(spec, v) ?? modeInArgs(spec, args.slice(i)) ?? spec
            : spec;
          return { kind: "immediate", option: found, command: shown };
        }
        if (!found.metavar) {
          if (attached !== undefined && eq > 0) {
            throw new ArgError(
              `argument ${argName(found)}: ignored explicit argument '${attached}'`,
            );
          }
          v[found.dest] = true;
          // A cluster of short switches: `-qa` is `-q -a`.
          if (attached !== undefined) {
            args = [...args.slice(0, i), `-${attached}`, ...args.slice(i)];
          }
          continue;
        }
        let raw = attached;
        if (raw === undefined) {
          const nextArg = args[i];
          if (
            nextArg === undefined || (nextArg.startsWith("-") && nextArg !== "-" &&
              !NEGATIVE_NUMBER.test(nextArg))
          ) {
            throw new ArgError(`argument ${argName(found)}: expected one argument`);
          }
          raw = nextArg;
          i++;
        }
        v[found.dest] = convert(found, raw);
      }
      const rest = sub ? args.slice(i) : [];
      assignPositionals(spec, positionals, v, extras);
      if (spec.subcommands) {
        if (!sub) {
          throw new ArgError(`the following arguments are required: ${spec.subcommands.dest}`);
        }
        v[spec.subcommands.dest] = sub.name;
        spec = sub;
        args = rest;
        continue;
      }
      break;
    }
  } catch (e) {
    if (e instanceof ArgError) return { kind: "error", command: spec, message: e.message };
    throw e;
  }
  if (extras.length) {
    return { kind: "error", command: root, message: `unrecognized arguments: ${extras.join(" ")}` };
  }
  // A mode (`kill --serve`) runs in place of its command, with the command's values.
  const mode = chosenMode(path[path.length - 1], values[values.length - 1]);
  if (mode) path[path.length - 1] = mode;
  return { kind: "run", path, values };
}

function assignPositionals(
  spec: CommandSpec,
  positionals: string[],
  v: Record<string, unknown>,
  extras: string[],
) {
  const [p] = spec.positionals;
  if (!p) {
    extras.push(...positionals);
    return;
  }
  if (p.nargs === "+" && positionals.length === 0) {
    throw new ArgError(`the following arguments are required: ${argName(p)}`);
  }
  if (p.nargs === "?") {
    if (positionals.length) v[p.dest] = convert(p, positionals[0]);
    extras.push(...positionals.slice(1));
  } else {
    v[p.dest] = positionals.map((raw) => convert(p, raw));
  }
}
