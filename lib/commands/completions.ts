// `contree completions bash|zsh|fish`: the completion script, generated from the command table.
import { completionScript, type Shell, SHELLS } from "../cli/completions.ts";
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log/log.ts";

/** Arguments of `completions`, as the command table parses them. */
export interface CompletionsArgs {
  /** `bash`, `zsh` or `fish`. */
  shell?: string;
}

/** The `completions` handler: the script on stdout (see README for where to put it). */
export function completions(ctx: CommandContext<CompletionsArgs>): Promise<number> {
  const shell = ctx.args.shell;
  if (!shell || !SHELLS.includes(shell as Shell)) {
    log.error(`Name a shell: ${SHELLS.join(", ")} (e.g. contree completions bash)`);
    return Promise.resolve(2);
  }
  ctx.io.stdout.write(completionScript(ctx.table, shell as Shell));
  return Promise.resolve(0);
}
