// The formatter as commands use it: `-f`, stdout, colour and terminal width from the context.
import type { Io } from "../cli/io.ts";
import { log, useColour } from "../log/log.ts";
import { createFormatter, type Formatter } from "./formatter.ts";

/** A formatter writing `format` to `io.stdout`, coloured only on a terminal without NO_COLOR. */
export function formatterFor(
  format: string,
  io: Io,
  layout: { head?: readonly string[]; tail?: readonly string[] } = {},
): Formatter {
  return createFormatter(format, {
    stdout: io.stdout,
    isTerminal: io.stdout.isTerminal,
    colour: useColour(io.stdout, io.env),
    columns: io.stdout.isTerminal ? io.columns : undefined,
    warn: log.warning,
    ...layout,
  });
}
