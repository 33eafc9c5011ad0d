// Placeholder until issue #4 lands: the command is in the table so help and parsing are complete.
import type { CommandContext } from "../cli/spec.ts";
import { log } from "../log.ts";

export function wait(_ctx: CommandContext): Promise<number> {
  log.error("this command is not implemented yet");
  return Promise.resolve(2);
}
