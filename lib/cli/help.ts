// Help and usage text laid out as Python's argparse lays it out, so screens match the original's.
import { escapeControl } from "../output/escape.ts";
import { HELP_OPTION } from "./parse.ts";
import type { CommandSpec, OptionSpec, PositionalSpec } from "./spec.ts";

/** The program name in usage lines. */
export const PROG = "contree";

// Python's textwrap word splitter: whitespace runs, and words split after hyphens between letters.
const LETTER = "[\\p{L}_]";
const WORD_PUNCT = "[\\w!\"'&.,?]";
const WORDSEP = new RegExp(
  `(\\s+|(?<=${WORD_PUNCT})-{2,}(?=\\w)|\\S+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))` +
    `(?=${LETTER}-?${LETTER})|(?=\\s|$)|(?<=${WORD_PUNCT})(?=-{2,}\\w)))`,
  "gu",
);

/**
 * Wraps text as Python's `textwrap.wrap` does with argparse's settings: whitespace collapsed,
 * greedy lines of at most `width`, hyphenated words breakable, over-long words split.
 */
export function wrap(text: string, width: number): string[] {
  const chunks: string[] = text.replace(/\s+/g, " ").trim().match(WORDSEP) ?? [];
  chunks.reverse();
  const lines: string[] = [];
  while (chunks.length) {
    const line: string[] = [];
    let len = 0;
    if (lines.length && chunks[chunks.length - 1].trim() === "") chunks.pop();
    while (chunks.length) {
      const c = chunks[chunks.length - 1];
      if (len + c.length > width) break;
      line.push(chunks.pop()!);
      len += c.length;
    }
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const space = Math.max(width - len, 1);
      const c = chunks.pop()!;
      line.push(c.slice(0, space));
      len += space;
      chunks.push(c.slice(space));
    }
    if (line.length && line[line.length - 1].trim() === "") line.pop();
    if (line.length) lines.push(line.join(""));
  }
  return lines;
}

/** argparse's width: `$COLUMNS` (or the terminal's) minus 2; 80 columns when unknown. */
export function helpWidth(columns?: number): number {
  return (columns && columns > 0 ? columns : 80) - 2;
}

function choicesText(choices: readonly string[]): string {
  return `{${choices.join(",")}}`;
}

function optMetavar(o: OptionSpec): string {
  return o.choices ? choicesText(o.choices) : o.metavar!;
}

function posMetavar(p: PositionalSpec): string {
  return p.metavar ?? (p.choices ? choicesText(p.choices) : p.dest);
}

function optUsage(o: OptionSpec): string {
  return o.metavar ? `[${o.flags[0]} ${optMetavar(o)}]` : `[${o.flags[0]}]`;
}

function posUsage(p: PositionalSpec): string {
  const m = posMetavar(p);
  return p.nargs === "*" ? `[${m} ...]` : p.nargs === "+" ? `${m} [${m} ...]` : `[${m}]`;
}

function visibleOptions(spec: CommandSpec): OptionSpec[] {
  // A command lists its modes' switches (`--serve`) after its own flags; the modes' other flags
  // stay on the mode's own screen.
  const switches = (spec.modes ?? []).flatMap((m) =>
    m.options.filter((o) => o.dest === m.modeSwitch && !o.hidden)
  );
  return [HELP_OPTION, ...spec.options.filter((o) => !o.hidden), ...switches];
}

/** The usage block, wrapped as argparse wraps it (optionals first, positionals on new lines). */
export function formatUsage(spec: CommandSpec, width: number): string {
  const prog = `${PROG}${spec.usageName ? ` ${spec.usageName}` : ""}`;
  const prefix = "usage: ";
  // A mode's usage starts `contree kill --serve`: its switch is in the name, and like the
  // original's server screen it leaves out -h.
  const optParts = spec.modeSwitch === undefined
    ? visibleOptions(spec).map(optUsage)
    : spec.options.filter((o) => !o.hidden && o.dest !== spec.modeSwitch).map(optUsage);
  const posParts = spec.positionals.map(posUsage);
  if (spec.subcommands) {
    const names = spec.subcommands.commands.flatMap((c) => [c.name, ...c.aliases ?? []]);
    posParts.push(`${choicesText(names)} ...`);
  }
  const full = [prog, ...optParts, ...posParts].join(" ");
  if (prefix.length + full.length <= width) return `${prefix}${full}\n`;

  const getLines = (parts: string[], indent: string, first?: string): string[] => {
    const lines: string[] = [];
    let line: string[] = [];
    let lineLen = first !== undefined ? first.length - 1 : indent.length - 1;
    for (const part of parts) {
      if (lineLen + 1 + part.length > width && line.length) {
        lines.push(indent + line.join(" "));
        line = [];
        lineLen = indent.length - 1;
      }
      line.push(part);
      lineLen += part.length + 1;
    }
    if (line.length) lines.push(indent + line.join(" "));
    if (first !== undefined) lines[0] = lines[0].slice(indent.length);
    return lines;
  };
  let lines: string[];
  if (prefix.length + prog.length <= 0.75 * width) {
    const indent = " ".repeat(prefix.length + prog.length + 1);
    if (optParts.length) {
      lines = [...getLines([prog, ...optParts], indent, prefix), ...getLines(posParts, indent)];
    } else {
      lines = getLines([prog, ...posParts], indent, prefix);
    }
  } else {
    const indent = " ".repeat(prefix.length);
    lines = [prog, ...getLines(optParts, indent), ...getLines(posParts, indent)];
  }
  return `${prefix}${lines.join("\n")}\n`;
}

function fillText(text: string, style: "raw" | "wrap" | undefined, width: number): string {
  // argparse's default formatter collapses the whole text into one paragraph.
  return style === "raw" ? text.replace(/\n+$/, "") : wrap(text, width).join("\n");
}

interface Entry {
  invocation: string;
  help: string;
  indent: number;
}

function optInvocation(o: OptionSpec): string {
  return o.metavar ? o.flags.map((f) => `${f} ${optMetavar(o)}`).join(", ") : o.flags.join(", ");
}

function formatEntries(entries: Entry[], helpPosition: number, width: number): string {
  const helpWidth = Math.max(width - helpPosition, 11);
  return entries.map(({ invocation, help, indent }) => {
    const actionWidth = helpPosition - indent - 2;
    const pad = " ".repeat(indent);
    if (!help) return `${pad}${invocation}\n`;
    const lines = wrap(help, helpWidth);
    let out: string;
    if (invocation.length <= actionWidth) {
      out = `${pad}${invocation.padEnd(actionWidth)}  ${lines[0]}\n`;
    } else {
      out = `${pad}${invocation}\n${" ".repeat(helpPosition)}${lines[0]}\n`;
    }
    for (const l of lines.slice(1)) out += `${" ".repeat(helpPosition)}${l}\n`;
    return out;
  }).join("");
}

/** The full `--help` screen of a command, as argparse would print it for the original. */
export function formatHelp(spec: CommandSpec, columns?: number): string {
  const width = helpWidth(columns);
  const maxHelpPosition = Math.min(24, Math.max(width - 20, 4));
  const positional: Entry[] = spec.positionals.map((p) => ({
    invocation: posMetavar(p),
    help: p.help,
    indent: 2,
  }));
  if (spec.subcommands) {
    const names = spec.subcommands.commands.flatMap((c) => [c.name, ...c.aliases ?? []]);
    positional.push({ invocation: choicesText(names), help: "", indent: 2 });
    for (const c of spec.subcommands.commands) {
      const label = c.aliases?.length ? `${c.name} (${c.aliases.join(", ")})` : c.name;
      positional.push({ invocation: label, help: c.summary, indent: 4 });
    }
  }
  const options: Entry[] = visibleOptions(spec).map((o) => ({
    invocation: optInvocation(o),
    help: o.help,
    indent: 2,
  }));
  const longest = Math.max(
    ...[...positional, ...options].map((e) => e.invocation.length + e.indent),
  );
  const helpPosition = Math.min(longest + 2, maxHelpPosition);

  const sections = [formatUsage(spec, width)];
  if (spec.description) sections.push(fillText(spec.description, spec.descriptionStyle, width));
  if (positional.length) {
    sections.push(`positional arguments:\n${formatEntries(positional, helpPosition, width)}`);
  }
  sections.push(`options:\n${formatEntries(options, helpPosition, width)}`);
  for (const section of spec.sections ?? []) {
    const entries = section.entries.map((e) => ({ invocation: e.name, help: e.help, indent: 2 }));
    const position = Math.min(
      Math.max(...entries.map((e) => e.invocation.length + e.indent)) + 2,
      maxHelpPosition,
    );
    sections.push(`${section.title}:\n${formatEntries(entries, position, width)}`);
  }
  if (spec.epilog) sections.push(fillText(spec.epilog, spec.epilogStyle, width));
  return sections.map((s) => s.replace(/\n+$/, "")).join("\n\n") + "\n";
}

/**
 * A usage error screen: usage (unless `bare`), then `<prog>: error: <message>`.
 *
 * @example
 * ```ts
 * import { ROOT } from "./commands.ts";
 * formatUsageError(ROOT, "'use' is not implemented", 80, true);
 * // "contree: error: 'use' is not implemented\n"
 * ```
 */
export function formatUsageError(
  spec: CommandSpec,
  message: string,
  columns?: number,
  bare = false,
): string {
  const prog = `${PROG}${spec.usageName ? ` ${spec.usageName}` : ""}`;
  const usage = bare ? "" : formatUsage(spec, helpWidth(columns));
  // The message quotes argv: control characters are shown escaped, never sent to the terminal.
  return `${usage}${prog}: error: ${escapeControl(message)}\n`;
}
